package dev.graft.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.GraftApplication;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The container image turns the embedded PostgreSQL off: a process started there without a
 * datasource must stop at once saying what to set, and must not start a database of its own.
 */
@ExtendWith(OutputCaptureExtension.class)
class ExternalDatabaseRequirementTests {

  @TempDir Path data;

  @Test
  void shouldStopAtStartUpSayingWhatToSetWhenTheEmbeddedDatabaseIsOffAndNoUrlIsSet(
      CapturedOutput output) {
    assertThatThrownBy(
            () ->
                new SpringApplicationBuilder(GraftApplication.class)
                    .properties(
                        "graft.embedded-database=false",
                        "graft.data-dir=" + data,
                        "server.port=0",
                        "graft.roles=api")
                    .run()
                    .close())
        .isInstanceOf(DatabaseNotConfigured.class);
    assertThat(output)
        .contains("APPLICATION FAILED TO START")
        .contains("no database is configured")
        .contains("SPRING_DATASOURCE_URL")
        .contains("GRAFT_EMBEDDEDDATABASE=true");
    assertThat(data.resolve("postgres")).doesNotExist();
  }
}

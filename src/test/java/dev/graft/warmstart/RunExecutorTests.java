package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.TestSupport.QueuedRun;
import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.registry.ArtifactFormat;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.RegistryService;
import dev.graft.warmstart.internal.DjlTensorEngine;
import dev.graft.warmstart.internal.TensorEngine;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * What one executed run leaves behind, driven by the test on the CPU: a version whose lineage and
 * summary are the run's own, stored as the same JSON text, and a run row that says so.
 */
class RunExecutorTests extends WorkerOffTest {

  @Autowired CheckpointService checkpoints;
  @Autowired ArchitectureService architectures;
  @Autowired RunStore runs;
  @Autowired RunExecutor executor;
  @Autowired RegistryService registry;

  private static InputStream fixture(String name) {
    return RunExecutorTests.class.getClassLoader().getResourceAsStream("fixtures/oracle/" + name);
  }

  @Test
  void shouldRegisterTheVersionWithTheRunsOptionsAndItsReportsSummaryAsStoredText()
      throws Exception {
    UUID ckpt =
        checkpoints
            .upload(new CheckpointUpload("c", null, null), fixture("added_layer_lenient.ckpt.pt"))
            .resource()
            .id();
    UUID arch =
        architectures.uploadFile("MLP", fixture("added_layer_lenient.target.pt")).resource().id();
    String options =
        "{\"strict\":false,\"keyRules\":[{\"type\":\"stripPrefix\",\"prefix\":\"module.\"}],"
            + "\"onShapeMismatch\":\"FAIL\",\"dtype\":\"TARGET\",\"freeze\":[\"fc.*\"],\"initSeed\":3}";
    String model = "executed-" + UUID.randomUUID();
    UUID id =
        QueuedRun.of(ckpt, arch)
            .withOptions(options)
            .withOutput(
                "{\"model\":\""
                    + model
                    + "\",\"formats\":[\"pytorch\",\"safetensors\"],\"description\":\"d\","
                    + "\"tags\":{\"k\":\"v\"},\"aliases\":[\"a\"]}")
            .insert(jdbc);
    RunRow claimed = runs.claim("w", Duration.ofMinutes(5), "cpu").orElseThrow();

    try (TensorEngine engine = DjlTensorEngine.open("cpu")) {
      executor.execute(claimed, "w", engine);
    }

    RunRow done = runs.find(id).orElseThrow();
    assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(done.tensorsDone()).isEqualTo(done.tensorsTotal()).isPositive();
    assertThat(done.bytesDone()).isEqualTo(done.bytesTotal()).isPositive();
    ModelVersion v = registry.get(model, done.modelVersion());
    assertThat(v.runId()).isEqualTo(id);
    assertThat(v.description()).isEqualTo("d");
    assertThat(v.aliases()).containsExactly("a");
    assertThat(v.artifacts())
        .extracting(ModelVersion.Artifact::format)
        .containsExactlyInAnyOrder(ArtifactFormat.PYTORCH, ArtifactFormat.SAFETENSORS);
    assertThat(v.lineage().checkpointId()).isEqualTo(ckpt);
    assertThat(v.lineage().options().freeze()).containsExactly("fc.*");
    List<String> stored =
        jdbc.sql("select options, summary from model_version where model_name = ?")
            .param(model)
            .query((rs, n) -> List.of(rs.getString(1), rs.getString(2)))
            .single();
    assertThat(stored.get(0)).isEqualTo(options);
    assertThat(runs.report(id).orElseThrow().json()).contains("\"summary\":" + stored.get(1) + ",");
    assertThat(stored.get(1)).startsWith("{\"targetKeys\":");
  }
}

package dev.graft.registry;

import static dev.graft.SqlStatements.count;
import static dev.graft.registry.TestVersions.uniqueModel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.SqlStatements.Counted;
import dev.graft.WorkerlessTest;
import dev.graft.shared.BlobGc;
import dev.graft.shared.PageRequest;
import dev.graft.shared.PageResponse;
import dev.graft.storage.BlobStore;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * How many SQL statements a registry listing sends: a fixed number whatever the page holds, so a
 * page of 100 versions or 100 models costs what a page of one does (no query per item).
 */
class RegistryListingStatementsTests extends WorkerlessTest {

  @Autowired RegistryService registry;
  @Autowired BlobStore blobs;
  @Autowired BlobGc gc;
  @Autowired TransactionTemplate tx;

  private TestVersions versions;

  @BeforeEach
  void versions() {
    versions = new TestVersions(registry, blobs, gc, tx);
  }

  @Test
  void shouldListAHundredVersionsWithTheirArtifactsAndAliasesInAsManyStatementsAsOne()
      throws Exception {
    String model = uniqueModel("hundred-versions");
    for (int i = 1; i <= 100; i++) {
      versions.register(model, Map.of("n", "" + i), i % 10 == 0 ? List.of("at-" + i) : List.of());
    }

    Counted<PageResponse<ModelVersion>> one =
        count(() -> registry.versions(model, List.of(), new PageRequest(0, 1)));
    Counted<PageResponse<ModelVersion>> hundred =
        count(() -> registry.versions(model, List.of(), new PageRequest(0, 100)));
    System.out.printf(
        "registry listing of %d versions: %d SQL statements (of 1 version: %d)%n",
        hundred.result().items().size(), hundred.statements(), one.statements());

    assertThat(hundred.result().items()).hasSize(100);
    for (ModelVersion v : hundred.result().items()) {
      assertThat(v.tags()).containsEntry("n", "" + v.version());
      assertThat(v.aliases())
          .isEqualTo(v.version() % 10 == 0 ? List.of("at-" + v.version()) : List.of());
      assertThat(v.artifacts()).hasSize(1);
    }
    assertThat(hundred.statements()).isEqualTo(one.statements()).isLessThanOrEqualTo(5);
  }

  @Test
  void shouldListAHundredModelsWithTheirCountsLatestAndAliasesInAsManyStatementsAsOne()
      throws Exception {
    String stem = uniqueModel("hundred-models");
    for (int i = 0; i < 100; i++) {
      String model = String.format("%s-%03d", stem, i);
      versions.register(model, Map.of(), List.of());
      versions.register(model, Map.of(), List.of("champion"));
    }

    Counted<PageResponse<Model>> one =
        count(() -> registry.models(stem, List.of(), new PageRequest(0, 1)));
    Counted<PageResponse<Model>> hundred =
        count(() -> registry.models(stem, List.of(), new PageRequest(0, 100)));
    System.out.printf(
        "registry listing of %d models: %d SQL statements (of 1 model: %d)%n",
        hundred.result().items().size(), hundred.statements(), one.statements());

    assertThat(hundred.result().items()).hasSize(100);
    for (Model m : hundred.result().items()) {
      assertThat(m.versionCount()).isEqualTo(2);
      assertThat(m.latestVersion()).isEqualTo(2);
      assertThat(m.aliases()).isEqualTo(Map.of("champion", 2));
    }
    assertThat(hundred.statements()).isEqualTo(one.statements()).isLessThanOrEqualTo(3);
  }
}

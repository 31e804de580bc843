package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.TestSupport.QueuedRun;
import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.RegistryService;
import dev.graft.warmstart.internal.DjlTensorEngine;
import dev.graft.warmstart.internal.TensorEngine;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The same warm-start executed on different devices must produce the same artifact. Runs are
 * executed directly by the executor with an engine per device; the in-process worker is off ({@code
 * graft.roles=api}) so nothing else claims them.
 */
class RunExecutorDeviceTests extends WorkerOffTest {

  @Autowired CheckpointService checkpoints;
  @Autowired ArchitectureService architectures;
  @Autowired RunStore runs;
  @Autowired RunExecutor executor;
  @Autowired RegistryService registry;

  private static InputStream fixture(String name) {
    return RunExecutorDeviceTests.class
        .getClassLoader()
        .getResourceAsStream("fixtures/oracle/" + name);
  }

  /** Runs the oracle case on {@code device} and returns the SHA-256 of its pytorch artifact. */
  private String runOn(String device, String oracleCase, String options) throws IOException {
    UUID ckpt =
        checkpoints
            .upload(new CheckpointUpload("c", null, null), fixture(oracleCase + ".ckpt.pt"))
            .resource()
            .id();
    UUID arch = architectures.uploadFile("MLP", fixture(oracleCase + ".target.pt")).resource().id();
    String model = "device-" + UUID.randomUUID();
    UUID id =
        QueuedRun.of(ckpt, arch)
            .withOptions(options)
            .withOutput(
                "{\"model\":\""
                    + model
                    + "\",\"formats\":[\"pytorch\"],\"tags\":{},\"aliases\":[]}")
            .insert(jdbc);
    String owner = "test-" + device;
    RunRow claimed = runs.claim(owner, Duration.ofMinutes(5), device).orElseThrow();
    assertThat(claimed.id()).isEqualTo(id);
    try (TensorEngine engine = DjlTensorEngine.open(device)) {
      executor.execute(claimed, owner, engine);
    }
    RunRow done = runs.find(id).orElseThrow();
    assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(done.device()).isEqualTo(device);
    ModelVersion v = registry.get(model, done.modelVersion());
    return v.artifacts().get(0).sha256();
  }

  @Autowired dev.graft.warmstart.RunService runService;

  @Test
  void shouldStopARunningRunBeforeItsNextTensorWhenCancelled() throws IOException {
    UUID ckpt =
        checkpoints
            .upload(new CheckpointUpload("c", null, null), fixture("identical_lenient.ckpt.pt"))
            .resource()
            .id();
    UUID arch =
        architectures.uploadFile("MLP", fixture("identical_lenient.target.pt")).resource().id();
    UUID id = QueuedRun.of(ckpt, arch).withOptions("{\"strict\":false}").insert(jdbc);
    RunRow claimed = runs.claim("w", Duration.ofMinutes(5), "cpu").orElseThrow();

    assertThat(runService.cancel(id).status()).isEqualTo(RunStatus.RUNNING);

    try (TensorEngine engine = DjlTensorEngine.open("cpu")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> executor.execute(claimed, "w", engine))
          .isInstanceOf(RunCancelled.class);
    }
    assertThat(runs.find(id).orElseThrow().modelVersion()).isNull();
  }

  @Test
  void shouldEndAQueuedRunCancelledAtOnceSoNoWorkerClaimsIt() throws IOException {
    UUID ckpt =
        checkpoints
            .upload(new CheckpointUpload("c", null, null), fixture("identical_lenient.ckpt.pt"))
            .resource()
            .id();
    UUID arch =
        architectures.uploadFile("MLP", fixture("identical_lenient.target.pt")).resource().id();
    UUID id = QueuedRun.of(ckpt, arch).withOptions("{\"strict\":false}").insert(jdbc);

    assertThat(runService.cancel(id).status()).isEqualTo(RunStatus.CANCELLED);

    assertThat(runs.claim("w", Duration.ofMinutes(5), "cpu")).isEmpty();
    assertThat(runs.find(id).orElseThrow().modelVersion()).isNull();
  }

  @Test
  void shouldWriteTheSameArtifactEveryTimeOnTheCpu() throws IOException {
    String options =
        "{\"strict\":false,\"keyRules\":[],\"onShapeMismatch\":\"COPY_OVERLAP\",\"dtype\":\"TARGET\",\"freeze\":[],\"initSeed\":0}";
    assertThat(runOn("cpu", "bfloat16_into_float", options))
        .isEqualTo(runOn("cpu", "bfloat16_into_float", options));
  }

  @Test
  @Tag("gpu")
  void shouldWriteOnTheGpuExactlyWhatTheCpuWrites() throws IOException {
    assumeTrue(
        DjlTensorEngine.gpuCount() > 0,
        "no CUDA device visible to DJL (the CPU build of libtorch, or no GPU): build with -Pcuda on a GPU machine");
    for (Map.Entry<String, String> c :
        Map.of(
                "bfloat16_into_float", "{\"strict\":false}",
                "grown_vocab_copy_overlap",
                    "{\"strict\":false,\"onShapeMismatch\":\"COPY_OVERLAP\"}")
            .entrySet()) {
      assertThat(runOn("cuda:0", c.getKey(), c.getValue()))
          .as(c.getKey())
          .isEqualTo(runOn("cpu", c.getKey(), c.getValue()));
    }
  }
}

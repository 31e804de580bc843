package dev.graft.warmstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.TestSupport.QueuedRun;
import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.checkpoint.CheckpointUpload;
import dev.graft.format.DType;
import dev.graft.plan.Init;
import dev.graft.warmstart.internal.DjlTensorEngine;
import dev.graft.warmstart.internal.TensorEngine;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A run that makes the worker thread throw an {@link Error} (out of memory in the engine) ends its
 * attempt, not the worker: the run goes back to the queue with the reason and the next attempt, on
 * a healthy engine, finishes it. (The Error is injected in front of the real engine: a real
 * OutOfMemoryError cannot be produced on cue.)
 */
class WorkerFaultTests extends WorkerOffTest {

  @Autowired CheckpointService checkpoints;
  @Autowired ArchitectureService architectures;
  @Autowired RunStore runs;
  @Autowired Worker worker;

  @Test
  void shouldRetryARunWhoseEngineThrewAnErrorAndKeepTheWorkerAlive() throws Exception {
    UUID ckpt =
        checkpoints
            .upload(new CheckpointUpload("c", null, null), fixture("bfloat16_into_float.ckpt.pt"))
            .resource()
            .id();
    UUID arch =
        architectures.uploadFile("MLP", fixture("bfloat16_into_float.target.pt")).resource().id();
    UUID id =
        QueuedRun.of(ckpt, arch).withOptions("{\"strict\":false}").withMaxAttempts(2).insert(jdbc);

    try (TensorEngine real = DjlTensorEngine.open("cpu")) {
      assertThat(worker.runOnce(new OutOfMemory(real))).isTrue();
      RunRow afterError = runs.find(id).orElseThrow();
      assertThat(afterError.status()).isEqualTo(RunStatus.QUEUED);
      assertThat(afterError.error()).contains("OutOfMemoryError");

      assertThat(worker.runOnce(real)).isTrue();
      RunRow done = runs.find(id).orElseThrow();
      assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.SUCCEEDED);
      assertThat(done.attempts()).isEqualTo(2);
    }
  }

  private static InputStream fixture(String name) {
    return WorkerFaultTests.class.getClassLoader().getResourceAsStream("fixtures/oracle/" + name);
  }

  /** The real engine, failing every tensor operation with an OutOfMemoryError. */
  private record OutOfMemory(TensorEngine real) implements TensorEngine {
    @Override
    public String device() {
      return real.device();
    }

    @Override
    public boolean supports(DType dtype) {
      return real.supports(dtype);
    }

    @Override
    public ByteBuffer copy(ByteBuffer source, DType dtype, List<Long> shape) {
      throw new OutOfMemoryError("Java heap space (injected)");
    }

    @Override
    public ByteBuffer cast(ByteBuffer source, DType from, DType to, List<Long> shape) {
      throw new OutOfMemoryError("Java heap space (injected)");
    }

    @Override
    public ByteBuffer copyOverlap(
        ByteBuffer source,
        DType sourceDtype,
        List<Long> sourceShape,
        ByteBuffer targetInitial,
        DType targetDtype,
        List<Long> targetShape) {
      throw new OutOfMemoryError("Java heap space (injected)");
    }

    @Override
    public ByteBuffer initialize(Init init, DType dtype, List<Long> shape, long seed, String key) {
      throw new OutOfMemoryError("Java heap space (injected)");
    }

    @Override
    public void close() {}
  }
}

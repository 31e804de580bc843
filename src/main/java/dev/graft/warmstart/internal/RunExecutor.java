package dev.graft.warmstart.internal;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.Checkpoint;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.DType;
import dev.graft.format.OutputTensor;
import dev.graft.format.ReadLimits;
import dev.graft.format.StateDictWriter;
import dev.graft.format.TensorData;
import dev.graft.format.TensorInfo;
import dev.graft.format.safetensors.SafetensorsWriter;
import dev.graft.format.torch.TorchStateDictWriter;
import dev.graft.format.torchscript.TorchScriptIndex;
import dev.graft.format.torchscript.TorchScriptReader;
import dev.graft.format.torchscript.TorchScriptRewriter;
import dev.graft.plan.EntryAction;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.LoadPlanner;
import dev.graft.plan.Outcome;
import dev.graft.plan.Report;
import dev.graft.plan.TargetArchitecture;
import dev.graft.plan.TargetEntry;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.NewVersion;
import dev.graft.registry.RegistryService;
import dev.graft.shared.BlobGc;
import dev.graft.shared.GraftProperties;
import dev.graft.storage.BlobStore;
import dev.graft.storage.PendingBlob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Executes one claimed run: plans it, produces every output tensor on the device one at a time
 * (read from the blob store, cast or sliced or initialised by the {@link TensorEngine}), streams it
 * into each requested format, then registers the version and ends the run in one transaction.
 * Output files stay private to the attempt until that transaction, so a half-written artifact is
 * never visible.
 */
@Component
public class RunExecutor {

  private static final Logger log = LoggerFactory.getLogger(RunExecutor.class);
  static final JsonMapper JSON = JsonMapper.builder().build();

  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final BlobStore blobs;
  private final RegistryService registry;
  private final RunStore runs;
  private final TransactionTemplate tx;
  private final GraftProperties properties;
  private final CancelSignals cancels;
  private final BlobGc gc;

  RunExecutor(
      CheckpointService checkpoints,
      ArchitectureService architectures,
      BlobStore blobs,
      RegistryService registry,
      RunStore runs,
      TransactionTemplate tx,
      GraftProperties properties,
      BlobGc gc,
      CancelSignals cancels) {
    this.gc = gc;
    this.cancels = cancels;
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.blobs = blobs;
    this.registry = registry;
    this.runs = runs;
    this.tx = tx;
    this.properties = properties;
  }

  /** The parts of a run's output section the executor needs. */
  record Output(
      String model,
      List<String> formats,
      String description,
      Map<String, String> tags,
      List<String> aliases) {}

  /**
   * Runs a claimed run to its end. Faults are left to the caller, which retries or fails the run.
   *
   * @throws LeaseLost when another worker took the run over
   * @throws RunCancelled when a cancel was asked for
   */
  void execute(RunRow run, String owner, TensorEngine engine) throws IOException {
    execute(run, owner, engine, () -> false);
  }

  /**
   * Runs a claimed run to its end, giving it up before the next tensor once {@code stopping} says
   * the worker is shutting down.
   *
   * @throws LeaseLost when another worker took the run over
   * @throws RunCancelled when a cancel was asked for
   * @throws RunHandedBack when {@code stopping} turned true before the outputs were complete
   */
  void execute(RunRow run, String owner, TensorEngine engine, BooleanSupplier stopping)
      throws IOException {
    LoadOptions options = JSON.readValue(run.optionsJson(), LoadOptions.class);
    Output output = JSON.readValue(run.outputJson(), Output.class);
    Checkpoint checkpoint = checkpoints.get(run.checkpointId());
    CheckpointIndex index = checkpoints.index(run.checkpointId());
    TargetArchitecture target = architectures.target(run.architectureId());
    Report report = LoadPlanner.plan(index, target, options);
    String reportJson = JSON.writeValueAsString(report);
    List<OutputTensor> layout = new ArrayList<>();
    for (Report.Entry e : report.entries()) {
      layout.add(new OutputTensor(e.targetKey(), dtype(e.dtype()), e.shape()));
    }
    long bytesPerFormat = layout.stream().mapToLong(OutputTensor::sizeBytes).sum();
    if (!runs.planned(
        run.id(), owner, layout.size(), bytesPerFormat * output.formats().size(), reportJson)) {
      throw new LeaseLost(run.id());
    }
    if (report.outcome() == Outcome.FAILED) {
      // PyTorch would have raised: the run fails with its text, and no version is made.
      runs.finish(run.id(), owner, "FAILED", report.error(), reportJson, null, null);
      return;
    }

    Path work =
        properties
            .dataDir()
            .resolve("work")
            .resolve(run.id() + "-" + run.attempts())
            .toAbsolutePath();
    Files.createDirectories(work);
    try {
      List<ModelVersion.Artifact> artifacts = new ArrayList<>();
      List<PendingBlob> pending = new ArrayList<>();
      try {
        Map<String, Written> files =
            writeOutputs(
                run,
                owner,
                engine,
                checkpoint,
                index,
                target,
                report,
                layout,
                output,
                options,
                work,
                stopping);
        for (Map.Entry<String, Written> f : files.entrySet()) {
          PendingBlob blob =
              blobs.adopt(f.getValue().file(), f.getValue().sha256(), f.getValue().size());
          pending.add(blob);
          artifacts.add(new ModelVersion.Artifact(f.getKey(), blob.sha256(), blob.size()));
        }
        tx.executeWithoutResult(
            status -> {
              // The artifacts' blob locks, held to commit, keep a concurrent collection of
              // identical
              // bytes (a deleted version's artifact) from removing what these rows will name.
              gc.lockAll(artifacts.stream().map(ModelVersion.Artifact::sha256).toList());
              ModelVersion v =
                  registry.register(
                      new NewVersion(
                          output.model(),
                          output.description(),
                          output.tags(),
                          output.aliases(),
                          run.id(),
                          new ModelVersion.Lineage(
                              checkpoint.id(),
                              checkpoint.sha256(),
                              run.architectureId(),
                              JSON.readValue(run.optionsJson(), Object.class)),
                          JSON.writeValueAsString(report.summary()),
                          artifacts));
              if (!runs.finish(
                  run.id(), owner, "SUCCEEDED", null, reportJson, v.model(), v.version())) {
                throw new LeaseLost(run.id());
              }
              try {
                for (PendingBlob b : pending) {
                  b.commit();
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      } finally {
        for (PendingBlob b : pending) {
          b.close();
        }
      }
    } finally {
      deleteTree(work);
    }
  }

  /** An output file, hashed while it was written. */
  private record Written(Path file, String sha256, long size) {}

  private Map<String, Written> writeOutputs(
      RunRow run,
      String owner,
      TensorEngine engine,
      Checkpoint checkpoint,
      CheckpointIndex index,
      TargetArchitecture target,
      Report report,
      List<OutputTensor> layout,
      Output output,
      LoadOptions options,
      Path work,
      BooleanSupplier stopping)
      throws IOException {
    Map<String, TensorInfo> sources = new HashMap<>();
    for (TensorInfo t : index.tensors()) {
      sources.put(t.key(), t);
    }
    Map<String, TargetEntry> targets = new HashMap<>();
    for (TargetEntry t : target.entries()) {
      targets.put(t.key(), t);
    }
    ArchitectureService.InitialValues initial = architectures.initialValues(run.architectureId());
    Map<String, Path> files = new LinkedHashMap<>();
    List<FileChannel> channels = new ArrayList<>();
    List<dev.graft.storage.HashingChannel> hashing = new ArrayList<>();
    List<StateDictWriter> writers = new ArrayList<>();
    boolean needInitialBlob = !initial.byKey().isEmpty();
    try (SeekableByteChannel source = blobs.open(checkpoint.sha256());
        SeekableByteChannel initialBlob = needInitialBlob ? blobs.open(initial.sha256()) : null) {
      for (String format : output.formats()) {
        if (format.equals("torchscript")) {
          continue; // written after the state-dict formats, in the archive's own record order
        }
        Path file = work.resolve(format.equals("safetensors") ? "model.safetensors" : "model.pt");
        FileChannel ch =
            FileChannel.open(
                file,
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        channels.add(ch);
        files.put(format, file);
        dev.graft.storage.HashingChannel hashed = new dev.graft.storage.HashingChannel(ch);
        hashing.add(hashed);
        writers.add(
            format.equals("safetensors")
                ? SafetensorsWriter.open(hashed, layout, metadata(run, checkpoint, report))
                : TorchStateDictWriter.open(hashed, layout));
      }
      Heartbeat beat = new Heartbeat(run.id(), owner, stopping);
      long bytesDone = 0;
      int done = 0;
      for (Report.Entry e : report.entries()) {
        ByteBuffer out =
            produce(e, sources, targets, initial, source, initialBlob, engine, options);
        for (StateDictWriter w : writers) {
          w.write(e.targetKey(), out.duplicate());
        }
        done++;
        bytesDone += out.remaining() * (long) writers.size();
        beat.maybe(done, bytesDone);
      }
      for (StateDictWriter w : writers) {
        w.finish();
      }
      if (output.formats().contains("torchscript")) {
        // The archive asks for values in its data/N record order, so they are produced again for
        // it; the engine's work is repeated, memory stays one tensor.
        Path file = work.resolve("model.torchscript.pt");
        FileChannel ch =
            FileChannel.open(
                file,
                StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        channels.add(ch);
        files.put("torchscript", file);
        dev.graft.storage.HashingChannel hashed = new dev.graft.storage.HashingChannel(ch);
        hashing.add(hashed);
        Map<String, Report.Entry> byKey = new HashMap<>();
        for (Report.Entry e : report.entries()) {
          byKey.put(e.targetKey(), e);
        }
        ReadLimits limits = properties.limits().toReadLimits();
        long[] progress = {done, bytesDone};
        // Its own channel: the rewriter streams the archive while produce() reads initial values.
        try (SeekableByteChannel archiveBytes = blobs.open(initial.sha256())) {
          TorchScriptIndex archive = TorchScriptReader.read(archiveBytes, limits);
          TorchScriptRewriter.rewrite(
              archiveBytes,
              archive,
              key -> {
                ByteBuffer out =
                    produce(
                        byKey.get(key),
                        sources,
                        targets,
                        initial,
                        source,
                        initialBlob,
                        engine,
                        options);
                progress[1] += out.remaining();
                beat.maybe((int) progress[0], progress[1]);
                return out;
              },
              hashed,
              limits);
        }
        bytesDone = progress[1];
      }
      for (FileChannel ch : channels) {
        ch.force(true);
      }
      beat.now(done, bytesDone);
    } finally {
      for (FileChannel ch : channels) {
        ch.close();
      }
    }
    Map<String, Written> written = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, Path> f : files.entrySet()) {
      dev.graft.storage.HashingChannel h = hashing.get(i++);
      written.put(f.getKey(), new Written(f.getValue(), h.sha256(), h.size()));
    }
    return written;
  }

  /** The bytes of one output tensor, in the report's dtype and shape. */
  private ByteBuffer produce(
      Report.Entry e,
      Map<String, TensorInfo> sources,
      Map<String, TargetEntry> targets,
      ArchitectureService.InitialValues initial,
      SeekableByteChannel source,
      SeekableByteChannel initialBlob,
      TensorEngine engine,
      LoadOptions options)
      throws IOException {
    DType out = dtype(e.dtype());
    EntryAction action = e.action();
    try {
      switch (action) {
        case COPIED, CAST -> {
          TensorInfo s = sources.get(e.sourceKey());
          ByteBuffer bytes = read(source, s);
          if (e.shape().isEmpty() && s.shape().size() == 1) {
            // torch loads a 1-element vector into a 0-dim tensor by taking its first element.
            bytes = bytes.slice(0, s.dtype().itemSize()).order(ByteOrder.LITTLE_ENDIAN);
          }
          return s.dtype() == out ? bytes : engine.cast(bytes, s.dtype(), out, e.shape());
        }
        case COPIED_OVERLAP -> {
          TensorInfo s = sources.get(e.sourceKey());
          return engine.copyOverlap(
              read(source, s),
              s.dtype(),
              s.shape(),
              initialValue(e, targets, initial, initialBlob, engine, options),
              out,
              e.shape());
        }
        case INITIALIZED, SKIPPED -> {
          return initialValue(e, targets, initial, initialBlob, engine, options);
        }
        case DEFAULTED -> {
          // BatchNorm's num_batches_tracked, which torch fills with 0 for checkpoints that predate
          // it.
          return ByteBuffer.allocate(
                  (int) new OutputTensor(e.targetKey(), out, e.shape()).sizeBytes())
              .order(ByteOrder.LITTLE_ENDIAN);
        }
        default ->
            throw new IllegalStateException(
                "entry " + e.targetKey() + " has no action in an executable plan");
      }
    } catch (EngineUnsupported u) {
      throw u.key() == null ? u.forKey(e.targetKey()) : u;
    }
  }

  private ByteBuffer initialValue(
      Report.Entry e,
      Map<String, TargetEntry> targets,
      ArchitectureService.InitialValues initial,
      SeekableByteChannel initialBlob,
      TensorEngine engine,
      LoadOptions options)
      throws IOException {
    DType out = dtype(e.dtype());
    TensorInfo value = initial.byKey().get(e.targetKey());
    if (value != null) {
      ByteBuffer bytes = read(initialBlob, value);
      return value.dtype() == out ? bytes : engine.cast(bytes, value.dtype(), out, e.shape());
    }
    TargetEntry t = targets.get(e.targetKey());
    return engine.initialize(t.init(), out, e.shape(), options.initSeed(), e.targetKey());
  }

  /**
   * A tensor's bytes, contiguous and little-endian: mapped where they already are, else gathered.
   */
  private static ByteBuffer read(SeekableByteChannel ch, TensorInfo t) throws IOException {
    if (ch instanceof FileChannel fc
        && t.contiguous()
        && t.byteOrder() == ByteOrder.LITTLE_ENDIAN
        && t.sizeBytes() > 0) {
      return fc.map(FileChannel.MapMode.READ_ONLY, t.byteStart(), t.sizeBytes())
          .order(ByteOrder.LITTLE_ENDIAN);
    }
    return ByteBuffer.wrap(TensorData.readContiguous(ch, t)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static Map<String, String> metadata(RunRow run, Checkpoint checkpoint, Report report) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("format", "pt");
    m.put("graft.run_id", run.id().toString());
    m.put("graft.checkpoint_sha256", checkpoint.sha256());
    m.put("graft.architecture_id", run.architectureId().toString());
    m.put("graft.options_sha256", sha256(run.optionsJson()));
    Map<String, Boolean> requiresGrad = new LinkedHashMap<>();
    for (Report.Entry e : report.entries()) {
      requiresGrad.put(e.targetKey(), e.requiresGrad());
    }
    m.put("graft.requires_grad", JSON.writeValueAsString(requiresGrad));
    return m;
  }

  static DType dtype(String name) {
    return DType.byTorchName(name)
        .orElseThrow(() -> new IllegalStateException("unknown dtype " + name));
  }

  private static String sha256(String s) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("could not remove work folder {}: {}", dir, e.toString());
    }
  }

  /**
   * Renews the lease and reports progress every heartbeat interval; notices cancels and takeovers.
   */
  private final class Heartbeat {
    private final UUID run;
    private final String owner;
    private final BooleanSupplier stopping;
    private long last = System.nanoTime();

    Heartbeat(UUID run, String owner, BooleanSupplier stopping) {
      this.run = run;
      this.owner = owner;
      this.stopping = stopping;
    }

    void maybe(int tensors, long bytes) {
      if (stopping.getAsBoolean()) {
        throw new RunHandedBack(run);
      }
      if (System.nanoTime() - last >= properties.worker().heartbeat().toNanos()) {
        now(tensors, bytes);
      }
    }

    void now(int tensors, long bytes) {
      last = System.nanoTime();
      Boolean cancel =
          runs.heartbeat(run, owner, properties.worker().lease(), tensors, bytes)
              .orElseThrow(() -> new LeaseLost(run));
      if (cancel) {
        throw new RunCancelled();
      }
    }
  }
}

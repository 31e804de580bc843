package dev.graft.warmstart;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.OutputTensor;
import dev.graft.format.ReadLimits;
import dev.graft.format.ShardedStateDictWriter;
import dev.graft.format.Shards;
import dev.graft.format.StateDictWriter;
import dev.graft.format.safetensors.SafetensorsWriter;
import dev.graft.format.torch.TorchStateDictWriter;
import dev.graft.format.torchscript.TorchScriptIndex;
import dev.graft.format.torchscript.TorchScriptReader;
import dev.graft.format.torchscript.TorchScriptRewriter;
import dev.graft.plan.CheckpointSource;
import dev.graft.plan.LoadOptions;
import dev.graft.plan.LoadPlanner;
import dev.graft.plan.Outcome;
import dev.graft.plan.PlanSource;
import dev.graft.plan.Report;
import dev.graft.plan.TargetArchitecture;
import dev.graft.registry.ArtifactFormat;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.NewVersion;
import dev.graft.registry.RegistryService;
import dev.graft.shared.BlobGc;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.Sha256;
import dev.graft.storage.BlobStore;
import dev.graft.storage.OutputFile;
import dev.graft.storage.PendingBlob;
import dev.graft.warmstart.internal.TensorEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * never visible. What one attempt works with travels as a {@link RunAttempt}.
 */
@Component
class RunExecutor {

  private static final Logger log = LoggerFactory.getLogger(RunExecutor.class);

  private static final tools.jackson.core.type.TypeReference<List<CheckpointSource>>
      CHECKPOINT_SOURCES = new tools.jackson.core.type.TypeReference<>() {};

  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final BlobStore blobs;
  private final RegistryService registry;
  private final RunStore runs;
  private final TransactionTemplate tx;
  private final GraftProperties properties;
  private final BlobGc gc;
  private final JsonMapper json;
  private final Heartbeats heartbeats;

  RunExecutor(
      CheckpointService checkpoints,
      ArchitectureService architectures,
      BlobStore blobs,
      RegistryService registry,
      RunStore runs,
      TransactionTemplate tx,
      GraftProperties properties,
      BlobGc gc,
      JsonMapper json,
      Heartbeats heartbeats) {
    this.heartbeats = heartbeats;
    this.gc = gc;
    this.json = json;
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.blobs = blobs;
    this.registry = registry;
    this.runs = runs;
    this.tx = tx;
    this.properties = properties;
  }

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
    RunAttempt.Plan plan = plan(run);
    if (!runs.planned(
        run.id(),
        owner,
        plan.layout().size(),
        plan.bytesPerFormat() * plan.formats().size(),
        plan.reportJson())) {
      throw new LeaseLost(run.id());
    }
    if (plan.report().outcome() == Outcome.FAILED) {
      // PyTorch would have raised: the run fails with its text, and no version is made.
      runs.finish(
          run.id(), owner, RunStatus.FAILED, plan.report().error(), plan.reportJson(), null, null);
      return;
    }
    if (plan.output().maxShardSize() != null) {
      try {
        Shards.split(plan.layout(), Shards.parseSize(plan.output().maxShardSize()));
      } catch (IllegalArgumentException tooMany) {
        // Known before anything is written: the client's choice, not a fault to retry.
        runs.finish(
            run.id(),
            owner,
            RunStatus.FAILED,
            "output.maxShardSize " + tooMany.getMessage(),
            plan.reportJson(),
            null,
            null);
        return;
      }
    }
    Path work =
        properties
            .dataDir()
            .resolve("work")
            .resolve(run.id() + "-" + run.attempts())
            .toAbsolutePath();
    Files.createDirectories(work);
    try (Heartbeat heartbeat = heartbeats.start(run.id(), owner);
        OutputTensors tensors = OutputTensors.open(blobs, plan, engine, heartbeat::check)) {
      heartbeat.stopWhen(stopping);
      RunAttempt attempt = new RunAttempt(run, owner, plan, work, tensors, heartbeat);
      Map<ArtifactFormat, List<Written>> files;
      try {
        files = writeOutputs(attempt);
      } catch (IOException e) {
        throw workFolderFull(work, plan, e);
      }
      // The last beat records the final progress and is the last chance to see a cancel; the
      // schedule stops so no beat races the registering transaction.
      heartbeat.close();
      heartbeat.beat();
      register(attempt, files);
    } finally {
      deleteTree(work);
    }
  }

  /**
   * A write that failed because the work folder's file system is full, said as such (the JDK says
   * only "No space left on device"); any other failure unchanged.
   */
  private static IOException workFolderFull(Path work, RunAttempt.Plan plan, IOException e) {
    if (e instanceof BlobStore.StoreUnavailable || e instanceof BlobStore.BlobMissing) {
      return e;
    }
    long free;
    try {
      free = Files.getFileStore(work).getUsableSpace();
    } catch (IOException unknown) {
      return e;
    }
    long needed = plan.bytesPerFormat() * plan.formats().size();
    if (free >= needed && !String.valueOf(e.getMessage()).contains("No space left")) {
      return e;
    }
    return new IOException(
        "the work folder "
            + work.getParent()
            + " is full: this run writes about "
            + needed
            + " bytes of output there and "
            + free
            + " bytes are left ("
            + e.getMessage()
            + "); free space or point graft.data-dir at a larger disk",
        e);
  }

  /** Plans a run from the options and output it was submitted with. */
  private RunAttempt.Plan plan(RunRow run) {
    LoadOptions options = json.readValue(run.optionsJson(), LoadOptions.class);
    WarmStartRequest.Output output =
        json.readValue(run.outputJson(), WarmStartRequest.Output.class);
    TargetArchitecture target = architectures.target(run.architectureId());
    List<RunAttempt.Source> sources = new ArrayList<>();
    Report report;
    if (run.sourcesJson() == null) {
      CheckpointIndex index = checkpoints.index(run.checkpointId());
      sources.add(new RunAttempt.Source(checkpoints.get(run.checkpointId()), index));
      report = LoadPlanner.plan(index, target, options);
    } else {
      // As previews plan them: the same planner over every source, first wins per target key.
      List<PlanSource> planned = new ArrayList<>();
      for (CheckpointSource s : json.readValue(run.sourcesJson(), CHECKPOINT_SOURCES)) {
        CheckpointIndex index = checkpoints.index(s.checkpointId());
        sources.add(new RunAttempt.Source(checkpoints.get(s.checkpointId()), index));
        planned.add(PlanSource.of(index, s));
      }
      report = LoadPlanner.plan(planned, target, options);
    }
    return RunAttempt.Plan.of(
        options,
        output,
        sources,
        target,
        architectures.initialValues(run.architectureId()),
        report,
        json.writeValueAsString(report));
  }

  /** Writes every requested format into the work folder; returns the files, hashed. */
  private Map<ArtifactFormat, List<Written>> writeOutputs(RunAttempt a) throws IOException {
    RunAttempt.Plan plan = a.plan();
    try (OutputFiles files = new OutputFiles(a.work())) {
      List<StateDictWriter> writers = new ArrayList<>();
      Map<String, String> metadata = metadata(a);
      for (ArtifactFormat format : plan.formats()) {
        StateDictWriter writer =
            switch (format) {
              case SAFETENSORS ->
                  stateDictWriter(
                      files,
                      format,
                      plan,
                      (out, layout) -> SafetensorsWriter.open(out, layout, metadata));
              case PYTORCH -> stateDictWriter(files, format, plan, TorchStateDictWriter::open);
              // Written after the state-dict formats, in the archive's own record order.
              case TORCHSCRIPT -> null;
            };
        if (writer != null) {
          writers.add(writer);
        }
      }
      for (Report.Entry e : plan.report().entries()) {
        Optional<OutputTensors.Region> region = a.tensors().region(e);
        if (region.isPresent()) {
          // Bytes that pass through unchanged go file to file, never through the engine.
          OutputTensors.Region r = region.get();
          for (StateDictWriter w : writers) {
            w.transfer(e.targetKey(), r.file(), r.position(), r.size());
          }
          a.heartbeat().add(1, r.size() * writers.size());
          continue;
        }
        ByteBuffer out = a.tensors().produce(e);
        for (StateDictWriter w : writers) {
          w.write(e.targetKey(), out.duplicate());
        }
        a.heartbeat().add(1, out.remaining() * (long) writers.size());
      }
      for (StateDictWriter w : writers) {
        w.finish();
      }
      if (plan.formats().contains(ArtifactFormat.TORCHSCRIPT)) {
        writeTorchScript(a, files.create(ArtifactFormat.TORCHSCRIPT));
      }
      return files.finish();
    }
  }

  /** Opens a state-dict writer on a file it is handed, for the tensors of one file. */
  @FunctionalInterface
  private interface WriterOpener {
    StateDictWriter open(OutputFile out, List<OutputTensor> layout) throws IOException;
  }

  /**
   * A format's writer: one file, or with {@code output.maxShardSize} the index file (written at
   * once: the split is known from the layout) and one file per shard, each opened as its first
   * tensor comes. A split into one shard is one file, as Hugging Face writes it.
   */
  private static StateDictWriter stateDictWriter(
      OutputFiles files, ArtifactFormat format, RunAttempt.Plan plan, WriterOpener opener)
      throws IOException {
    String maxShardSize = plan.output().maxShardSize();
    List<List<OutputTensor>> shards =
        maxShardSize == null
            ? List.of(plan.layout())
            : Shards.split(plan.layout(), Shards.parseSize(maxShardSize));
    if (shards.size() == 1) {
      return opener.open(files.create(format), plan.layout());
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      names.add(format.shardFileName(i, shards.size()));
    }
    OutputFile index = files.create(format, format.indexFileName());
    ByteBuffer json =
        ByteBuffer.wrap(
            Shards.indexJson(shards, names).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    while (json.hasRemaining()) {
      index.write(json);
    }
    return new ShardedStateDictWriter(
        shards, (i, layout) -> opener.open(files.create(format, names.get(i)), layout));
  }

  /**
   * Writes the target's TorchScript archive with the plan's values. The archive asks for values in
   * its data/N record order, so they are produced again for it: the engine's work is repeated,
   * memory stays one tensor.
   */
  private void writeTorchScript(RunAttempt a, WritableByteChannel out) throws IOException {
    Map<String, Report.Entry> byKey = new HashMap<>();
    for (Report.Entry e : a.plan().report().entries()) {
      byKey.put(e.targetKey(), e);
    }
    ReadLimits limits = properties.limits().toReadLimits();
    // Its own channel: the rewriter streams the archive while the tensors read initial values.
    try (SeekableByteChannel archiveBytes = blobs.open(a.plan().initial().sha256())) {
      TorchScriptIndex archive = TorchScriptReader.read(archiveBytes, limits);
      TorchScriptRewriter.rewrite(
          archiveBytes,
          archive,
          key -> {
            ByteBuffer value = a.tensors().produce(byKey.get(key));
            a.heartbeat().add(0, value.remaining());
            return value;
          },
          out,
          limits);
    }
  }

  /**
   * Stores the files as blobs, then registers the version and ends the run in one short transaction
   * under the artifacts' blob locks (a failure in between leaves orphan blobs for the sweeper,
   * never a version without its files).
   *
   * @throws LeaseLost when another worker took the run over (nothing is registered)
   */
  private void register(RunAttempt a, Map<ArtifactFormat, List<Written>> files) throws IOException {
    RunRow run = a.run();
    RunAttempt.Plan plan = a.plan();
    List<ModelVersion.Artifact> artifacts = new ArrayList<>();
    List<PendingBlob> pending = new ArrayList<>();
    try {
      for (Map.Entry<ArtifactFormat, List<Written>> f : files.entrySet()) {
        // One file, or the index file first and then the shards (see stateDictWriter).
        List<ModelVersion.Shard> shards = new ArrayList<>();
        PendingBlob main = null;
        for (Written w : f.getValue()) {
          PendingBlob blob = blobs.adopt(w.file(), w.sha256(), w.size());
          pending.add(blob);
          if (main == null) {
            main = blob;
          } else {
            shards.add(new ModelVersion.Shard(w.fileName(), blob.sha256(), blob.size()));
          }
        }
        artifacts.add(new ModelVersion.Artifact(f.getKey(), main.sha256(), main.size(), shards));
      }
      NewVersion version =
          new NewVersion(
              plan.output().model(),
              plan.output().description(),
              plan.output().tags(),
              plan.output().aliases(),
              run.id(),
              new ModelVersion.Lineage(
                  plan.checkpoint().id(),
                  plan.checkpoint().sha256(),
                  run.architectureId(),
                  plan.options(),
                  lineageSources(run, plan)),
              plan.report().summary(),
              artifacts);
      // The artifacts go to the store first, outside the transaction (see ContentIngest).
      for (PendingBlob b : pending) {
        b.commit();
      }
      tx.executeWithoutResult(
          status ->
              gc.underLock(
                  pending.stream().map(PendingBlob::sha256).distinct().toList(),
                  () -> {
                    try {
                      // A collector of the same bytes may have removed one since; store it again.
                      for (PendingBlob b : pending) {
                        if (!blobs.exists(b.sha256())) {
                          b.commit();
                        }
                      }
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                    ModelVersion v = registry.register(version);
                    if (!runs.finish(
                        run.id(),
                        a.owner(),
                        RunStatus.SUCCEEDED,
                        null,
                        plan.reportJson(),
                        v.model(),
                        v.version())) {
                      throw new LeaseLost(run.id());
                    }
                    return v;
                  }));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      for (PendingBlob b : pending) {
        b.close();
      }
    }
  }

  /**
   * Every checkpoint a run with {@code sources} loaded from, with its SHA-256 and its rules and
   * globs; {@code null} for a run from a {@code checkpointId}.
   */
  private List<ModelVersion.Source> lineageSources(RunRow run, RunAttempt.Plan plan) {
    if (run.sourcesJson() == null) {
      return null;
    }
    List<CheckpointSource> named = json.readValue(run.sourcesJson(), CHECKPOINT_SOURCES);
    List<ModelVersion.Source> out = new ArrayList<>(named.size());
    for (int i = 0; i < named.size(); i++) {
      CheckpointSource s = named.get(i);
      out.add(
          new ModelVersion.Source(
              s.checkpointId(),
              plan.sources().get(i).checkpoint().sha256(),
              s.keyRules(),
              s.include(),
              s.exclude()));
    }
    return out;
  }

  /** The safetensors {@code __metadata__}: provenance, and each entry's {@code requiresGrad}. */
  private Map<String, String> metadata(RunAttempt a) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("format", "pt");
    m.put("graft.run_id", a.run().id().toString());
    m.put("graft.checkpoint_sha256", a.plan().checkpoint().sha256());
    if (a.run().sourcesJson() != null) {
      m.put(
          "graft.sources_sha256",
          json.writeValueAsString(
              a.plan().sources().stream().map(s -> s.checkpoint().sha256()).toList()));
    }
    m.put("graft.architecture_id", a.run().architectureId().toString());
    m.put("graft.options_sha256", Sha256.hex(a.run().optionsJson()));
    Map<String, Boolean> requiresGrad = new LinkedHashMap<>();
    for (Report.Entry e : a.plan().report().entries()) {
      requiresGrad.put(e.targetKey(), e.requiresGrad());
    }
    m.put("graft.requires_grad", json.writeValueAsString(requiresGrad));
    return m;
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("could not remove work folder {}: {}", dir, e.toString());
    }
  }

  /**
   * An output file, hashed while it was written.
   *
   * @param fileName its name in the artifact (a shard's or the index's Hugging Face name)
   * @param written the file, its SHA-256 and size
   */
  private record Written(String fileName, OutputFile.Written written) {
    Path file() {
      return written.file();
    }

    String sha256() {
      return written.sha256();
    }

    long size() {
      return written.size();
    }
  }

  /**
   * An attempt's output files in its work folder, each hashed as written: one per format, or an
   * index file and its shards.
   */
  private static final class OutputFiles implements AutoCloseable {

    private final Path work;
    private final Map<ArtifactFormat, Map<String, OutputFile>> files = new LinkedHashMap<>();

    OutputFiles(Path work) {
      this.work = work;
    }

    /** Creates a format's file; what is written to it is hashed behind the writer. */
    OutputFile create(ArtifactFormat format) throws IOException {
      return create(format, "model-" + format.wireName() + format.extension());
    }

    /** Creates one of a format's files, by its name in the artifact. */
    OutputFile create(ArtifactFormat format, String fileName) throws IOException {
      OutputFile f = OutputFile.create(work.resolve(format.wireName() + "-" + fileName));
      files.computeIfAbsent(format, k -> new LinkedHashMap<>()).put(fileName, f);
      return f;
    }

    /**
     * Flushes every file to the disk and waits for its hash; returns each format's files in the
     * order they were created.
     */
    Map<ArtifactFormat, List<Written>> finish() throws IOException {
      Map<ArtifactFormat, List<Written>> w = new LinkedHashMap<>();
      for (Map.Entry<ArtifactFormat, Map<String, OutputFile>> f : files.entrySet()) {
        List<Written> written = new ArrayList<>();
        for (Map.Entry<String, OutputFile> file : f.getValue().entrySet()) {
          written.add(new Written(file.getKey(), file.getValue().finish()));
        }
        w.put(f.getKey(), written);
      }
      return w;
    }

    @Override
    public void close() throws IOException {
      IOException failed = null;
      for (OutputFile f : files.values().stream().flatMap(m -> m.values().stream()).toList()) {
        try {
          f.close();
        } catch (IOException e) {
          failed = failed == null ? e : failed;
        }
      }
      if (failed != null) {
        throw failed;
      }
    }
  }
}

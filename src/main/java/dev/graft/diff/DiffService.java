package dev.graft.diff;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.format.CheckpointIndex;
import dev.graft.format.TensorInfo;
import dev.graft.format.read.CheckpointReader;
import dev.graft.plan.LayoutDiff;
import dev.graft.plan.TargetEntry;
import dev.graft.registry.ArtifactFormat;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.ModelVersionNotFound;
import dev.graft.registry.RegistryService;
import dev.graft.shared.GraftProperties;
import dev.graft.shared.InvalidInput;
import dev.graft.shared.UnknownReference;
import dev.graft.storage.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;

/**
 * Layout diffs: what changed, key by key, between any two of a checkpoint, an architecture and a
 * model version, and the key rules that would reconcile renames. Reads indexes only (a model
 * version's from its stored state-dict artifact's header), never tensor data.
 */
@Service
public class DiffService {

  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final RegistryService registry;
  private final BlobStore blobs;
  private final GraftProperties properties;

  DiffService(
      CheckpointService checkpoints,
      ArchitectureService architectures,
      RegistryService registry,
      BlobStore blobs,
      GraftProperties properties) {
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.registry = registry;
    this.blobs = blobs;
    this.properties = properties;
  }

  /**
   * Compares two layouts.
   *
   * @throws InvalidInput when a side is missing or names not exactly one kind of layout
   * @throws UnknownReference when a side names something that does not exist
   */
  public LayoutDiff.Result diff(DiffRequest request) {
    if (request == null) {
      throw new InvalidInput("body", "is required");
    }
    List<LayoutDiff.Key> left = layout("left", request.left());
    List<LayoutDiff.Key> right = layout("right", request.right());
    return LayoutDiff.compare(left, right);
  }

  private List<LayoutDiff.Key> layout(String field, LayoutRef ref) {
    if (ref == null) {
      throw new InvalidInput(
          field, "is required: {checkpointId}, {architectureId} or {model, version}");
    }
    int kinds =
        (ref.checkpointId() != null ? 1 : 0)
            + (ref.architectureId() != null ? 1 : 0)
            + (ref.model() != null || ref.version() != null ? 1 : 0);
    if (kinds != 1) {
      throw new InvalidInput(
          field,
          "must name exactly one of checkpointId, architectureId or model and version; got "
              + kinds);
    }
    if (ref.checkpointId() != null) {
      if (!checkpoints.exists(ref.checkpointId())) {
        throw new UnknownReference(
            field + ".checkpointId", "checkpoint " + ref.checkpointId() + " does not exist");
      }
      return keys(checkpoints.index(ref.checkpointId()));
    }
    if (ref.architectureId() != null) {
      if (!architectures.exists(ref.architectureId())) {
        throw new UnknownReference(
            field + ".architectureId", "architecture " + ref.architectureId() + " does not exist");
      }
      List<LayoutDiff.Key> out = new ArrayList<>();
      for (TargetEntry e : architectures.target(ref.architectureId()).entries()) {
        out.add(new LayoutDiff.Key(e.key(), e.dtype(), e.shape()));
      }
      return out;
    }
    if (ref.model() == null || ref.version() == null) {
      throw new InvalidInput(field, "names a model version with both model and version");
    }
    return versionLayout(field, ref.model(), ref.version());
  }

  /** A version's layout, read from the header of its safetensors (else pytorch) artifact. */
  private List<LayoutDiff.Key> versionLayout(String field, String model, int version) {
    ModelVersion v;
    try {
      v = registry.get(model, version);
    } catch (ModelVersionNotFound e) {
      throw new UnknownReference(field + ".version", e.getMessage());
    }
    Optional<ModelVersion.Artifact> artifact =
        pick(v, ArtifactFormat.SAFETENSORS).or(() -> pick(v, ArtifactFormat.PYTORCH));
    if (artifact.isEmpty()) {
      throw new UnknownReference(
          field + ".version",
          "model " + model + " version " + version + " has no safetensors or pytorch artifact");
    }
    // An artifact split into shards is read shard by shard (each is a whole file of its format);
    // its own blob is then the index, which holds no layout.
    List<String> files =
        artifact.get().shards().isEmpty()
            ? List.of(artifact.get().sha256())
            : artifact.get().shards().stream().map(ModelVersion.Shard::sha256).toList();
    List<LayoutDiff.Key> out = new ArrayList<>();
    for (String sha256 : files) {
      try (SeekableByteChannel ch = blobs.open(sha256)) {
        out.addAll(keys(CheckpointReader.read(ch, null, null, properties.limits().toReadLimits())));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  private static Optional<ModelVersion.Artifact> pick(ModelVersion v, ArtifactFormat format) {
    return v.artifacts().stream().filter(a -> a.format() == format).findFirst();
  }

  private static List<LayoutDiff.Key> keys(CheckpointIndex index) {
    List<LayoutDiff.Key> out = new ArrayList<>(index.tensors().size());
    for (TensorInfo t : index.tensors()) {
      out.add(new LayoutDiff.Key(t.key(), t.dtype(), t.shape()));
    }
    return out;
  }
}

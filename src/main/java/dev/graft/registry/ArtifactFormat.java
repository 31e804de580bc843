package dev.graft.registry;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The file formats a model version's artifacts are written in. The API and the database name them
 * in lower case: {@code safetensors}, {@code pytorch}, {@code torchscript}.
 */
public enum ArtifactFormat {
  /** A safetensors file, with each entry's {@code requiresGrad} in its {@code __metadata__}. */
  SAFETENSORS("safetensors", ".safetensors"),
  /** A flat state dict that {@code torch.load(weights_only=True)} reads on torch 1.13 and later. */
  PYTORCH("pytorch", ".pt"),
  /** The target's own TorchScript archive with the warm-started values in place of its own. */
  TORCHSCRIPT("torchscript", ".pt");

  /** The names, in declaration order, for messages. */
  public static final List<String> NAMES =
      Arrays.stream(values()).map(ArtifactFormat::wireName).toList();

  private final String wireName;
  private final String extension;

  ArtifactFormat(String wireName, String extension) {
    this.wireName = wireName;
    this.extension = extension;
  }

  /** The format's name in the API and the database. */
  @JsonValue
  public String wireName() {
    return wireName;
  }

  /**
   * The index file of this format split into shards, as Hugging Face names it: {@code
   * model.safetensors.index.json}, {@code pytorch_model.bin.index.json}.
   *
   * @throws IllegalStateException for torchscript, which is never split
   */
  public String indexFileName() {
    return shardStem() + shardExtension() + ".index.json";
  }

  /**
   * Shard {@code index} (from 0) of {@code count}, as Hugging Face names it: {@code
   * model-00001-of-00003.safetensors}, {@code pytorch_model-00001-of-00003.bin}.
   *
   * @throws IllegalStateException for torchscript, which is never split
   */
  public String shardFileName(int index, int count) {
    return dev.graft.format.Shards.fileName(shardStem(), shardExtension(), index, count);
  }

  private String shardStem() {
    return switch (this) {
      case SAFETENSORS -> "model";
      case PYTORCH -> "pytorch_model";
      case TORCHSCRIPT -> throw new IllegalStateException("torchscript artifacts are never split");
    };
  }

  private String shardExtension() {
    return this == SAFETENSORS ? ".safetensors" : ".bin";
  }

  /** The file name extension a download of this format gets, with its dot. */
  public String extension() {
    return extension;
  }

  /** The format of this name, if there is one. */
  public static Optional<ArtifactFormat> byName(String name) {
    for (ArtifactFormat f : values()) {
      if (f.wireName.equals(name)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return wireName;
  }
}

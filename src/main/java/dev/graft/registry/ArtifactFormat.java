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

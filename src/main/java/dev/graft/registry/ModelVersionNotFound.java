package dev.graft.registry;

import dev.graft.shared.NotFound;

/** No such model, model version, artifact or alias. */
public class ModelVersionNotFound extends NotFound {

  private ModelVersionNotFound(String message) {
    super(message);
  }

  /** The model has no such version. */
  public static ModelVersionNotFound forVersion(String model, int version) {
    return new ModelVersionNotFound("model '" + model + "' has no version " + version);
  }

  /** The version has no artifact of this format. */
  public static ModelVersionNotFound forArtifact(String model, int version, String format) {
    return new ModelVersionNotFound(
        "model '" + model + "' version " + version + " has no '" + format + "' artifact");
  }

  /** The artifact has no file of that name. */
  public static ModelVersionNotFound forArtifactFile(
      String model, int version, String format, String fileName) {
    return new ModelVersionNotFound(
        "model '"
            + model
            + "' version "
            + version
            + " has no file "
            + dev.graft.shared.Texts.quote(fileName)
            + " in its '"
            + format
            + "' artifact (only artifacts split by output.maxShardSize have files: the index and"
            + " each shard)");
  }

  /** The model has no such alias. */
  public static ModelVersionNotFound forAlias(String model, String alias) {
    return new ModelVersionNotFound("model '" + model + "' has no alias '" + alias + "'");
  }

  /** The model does not exist. */
  public static ModelVersionNotFound forName(String model) {
    return new ModelVersionNotFound("model '" + model + "' does not exist");
  }
}

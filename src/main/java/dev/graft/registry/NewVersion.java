package dev.graft.registry;

import dev.graft.plan.Report;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A version to register, as a successful run hands it over.
 *
 * @param model the model's name (created on first use)
 * @param description free text, or {@code null}
 * @param tags free key-value tags
 * @param aliases aliases to point at the new version (moved from older versions)
 * @param runId the run
 * @param lineage what it was made from
 * @param summary the report's summary
 * @param artifacts the stored files
 */
public record NewVersion(
    String model,
    String description,
    Map<String, String> tags,
    List<String> aliases,
    UUID runId,
    ModelVersion.Lineage lineage,
    Report.Summary summary,
    List<ModelVersion.Artifact> artifacts) {}

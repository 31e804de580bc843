package dev.graft.plan;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * What loading a checkpoint into a target does, entry by entry: the API's {@code Report}. Its field
 * names are the API's, so it serialises as is.
 *
 * @param strict the {@code strict} option the plan was made with
 * @param outcome whether the load succeeds
 * @param summary counts and element totals
 * @param missingKeys target keys PyTorch reports missing, in PyTorch's order
 * @param unexpectedKeys checkpoint keys (after key rules) PyTorch reports unexpected, in PyTorch's
 *     order
 * @param mismatchedKeys keys whose checkpoint tensor has another shape, in target order
 * @param entries one per target entry, in target order
 * @param unused checkpoint tensors no entry takes, in checkpoint order, under their original keys
 * @param suggestedKeyRules key rules that would load more entries, best first
 * @param coverage each coverage gate of the options, measured; empty without gates
 * @param error PyTorch's error text when the outcome is {@link Outcome#FAILED}, else {@code null}
 */
@Schema(
    requiredProperties = {
      "strict",
      "outcome",
      "summary",
      "missingKeys",
      "unexpectedKeys",
      "mismatchedKeys",
      "entries",
      "unused",
      "suggestedKeyRules",
      "error"
    })
public record Report(
    boolean strict,
    Outcome outcome,
    Summary summary,
    @Schema(description = "Target keys PyTorch reports missing, in PyTorch's order")
        List<String> missingKeys,
    @Schema(description = "Checkpoint keys (after key rules) PyTorch reports unexpected")
        List<String> unexpectedKeys,
    List<MismatchedKey> mismatchedKeys,
    @Schema(description = "One per target entry, in target order") List<Entry> entries,
    @Schema(description = "Checkpoint tensors no entry takes, under their original keys")
        List<Unused> unused,
    @Schema(description = "Key rules that would load more entries, best first")
        List<SuggestedKeyRule> suggestedKeyRules,
    // Left out when empty (and sourceIndex when null), so reports stored before read as they did.
    @Schema(description = "Each coverage gate of the options, measured; left out without gates")
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        List<Coverage> coverage,
    @Schema(
            nullable = true,
            description = "PyTorch's error text when the outcome is FAILED, else null")
        String error) {

  /** Copies the lists. */
  public Report {
    missingKeys = List.copyOf(missingKeys);
    unexpectedKeys = List.copyOf(unexpectedKeys);
    mismatchedKeys = List.copyOf(mismatchedKeys);
    entries = List.copyOf(entries);
    unused = List.copyOf(unused);
    suggestedKeyRules = List.copyOf(suggestedKeyRules);
    coverage = coverage == null ? List.of() : List.copyOf(coverage);
  }

  /**
   * The same report with only the entries that are not warm-started as they are: every entry whose
   * status is not {@code LOADED} (initialised, defaulted, shape-mismatched). Everything else (the
   * summary, the key lists, the suggestions, the gates) stays whole; for clients that do not need
   * every loaded entry.
   */
  public Report changedEntriesOnly() {
    return withEntries(entries.stream().filter(e -> e.status() != EntryStatus.LOADED).toList());
  }

  /** The same report with these entries instead of its own. */
  public Report withEntries(List<Entry> kept) {
    return new Report(
        strict,
        outcome,
        summary,
        missingKeys,
        unexpectedKeys,
        mismatchedKeys,
        kept,
        unused,
        suggestedKeyRules,
        coverage,
        error);
  }

  /**
   * Counts and element totals of a report. Every element of the target either comes from the
   * checkpoint ({@code loadedNumel}) or keeps its initial value ({@code initializedNumel}), so the
   * two add up to {@code targetNumel}.
   *
   * @param targetKeys entries in the target
   * @param loaded entries with status {@code LOADED}
   * @param initialized entries with status {@code INITIALIZED} ({@code DEFAULTED} ones included)
   * @param shapeMismatched entries with status {@code SHAPE_MISMATCH}
   * @param unused checkpoint tensors no entry takes
   * @param targetNumel elements over all target entries
   * @param loadedNumel elements taken from the checkpoint, overlapping blocks included
   * @param initializedNumel elements that keep the target's initial value ({@code targetNumel -
   *     loadedNumel})
   * @param trainableInitializedNumel those of {@code initializedNumel} in entries with {@code
   *     requiresGrad}
   * @param warmStartedFraction {@code loadedNumel / targetNumel}; 0 for an empty target
   */
  @Schema(
      name = "ReportSummary",
      requiredProperties = {
        "targetKeys",
        "loaded",
        "initialized",
        "shapeMismatched",
        "unused",
        "targetNumel",
        "loadedNumel",
        "initializedNumel",
        "trainableInitializedNumel",
        "warmStartedFraction"
      })
  public record Summary(
      int targetKeys,
      int loaded,
      int initialized,
      int shapeMismatched,
      int unused,
      long targetNumel,
      long loadedNumel,
      long initializedNumel,
      long trainableInitializedNumel,
      double warmStartedFraction) {}

  /**
   * A key whose checkpoint tensor has another shape than its target entry.
   *
   * @param key the target key
   * @param checkpointShape the checkpoint tensor's shape
   * @param targetShape the target entry's shape
   * @param action {@code SKIPPED} or {@code COPIED_OVERLAP}; {@code null} when the plan failed
   */
  @Schema(requiredProperties = {"key", "checkpointShape", "targetShape", "action"})
  public record MismatchedKey(
      String key,
      List<Long> checkpointShape,
      List<Long> targetShape,
      @Schema(nullable = true, description = "SKIPPED or COPIED_OVERLAP; null when the plan failed")
          EntryAction action) {}

  /**
   * What happens to one target entry.
   *
   * @param targetKey the target key
   * @param sourceKey the original checkpoint key (before key rules), {@code null} when none matched
   * @param sourceIndex the index, in the request's sources, of the checkpoint the value comes from
   *     (0 for a plain {@code checkpointId}); {@code null} when none matched
   * @param status where the value comes from
   * @param action what executing the plan does; {@code null} when the plan failed
   * @param kind parameter, buffer or unknown
   * @param requiresGrad whether the output entry will be trained (freeze patterns applied)
   * @param dtype the output entry's dtype, torch's name
   * @param shape the output entry's shape (the target's)
   * @param sourceDtype the checkpoint tensor's dtype, {@code null} when none matched
   * @param sourceShape the checkpoint tensor's shape, {@code null} when none matched
   */
  @Schema(
      name = "ReportEntry",
      requiredProperties = {
        "targetKey",
        "sourceKey",
        "status",
        "action",
        "kind",
        "requiresGrad",
        "dtype",
        "shape",
        "sourceDtype",
        "sourceShape"
      })
  public record Entry(
      String targetKey,
      @Schema(nullable = true, description = "The original checkpoint key; null when none matched")
          String sourceKey,
      @Schema(
              nullable = true,
              description =
                  "With several sources: the index of the source it was taken from; left out"
                      + " otherwise")
          @JsonInclude(JsonInclude.Include.NON_NULL)
          Integer sourceIndex,
      EntryStatus status,
      @Schema(nullable = true, description = "What executing the plan does; null when it failed")
          EntryAction action,
      EntryKind kind,
      @Schema(description = "Whether the output entry will be trained (freeze applied)")
          boolean requiresGrad,
      @Schema(description = "The output entry's dtype, torch's name", example = "float32")
          String dtype,
      List<Long> shape,
      @Schema(nullable = true, description = "The checkpoint tensor's dtype; null when none")
          String sourceDtype,
      @Schema(nullable = true, description = "The checkpoint tensor's shape; null when none")
          List<Long> sourceShape) {}

  /**
   * A checkpoint tensor no target entry takes.
   *
   * @param sourceKey the original checkpoint key
   * @param dtype its dtype, torch's name
   * @param shape its shape
   * @param sourceIndex the index, in the request's sources, of its checkpoint (0 for a plain {@code
   *     checkpointId})
   */
  @Schema(
      name = "UnusedTensor",
      requiredProperties = {"sourceKey", "dtype", "shape", "sourceIndex"})
  public record Unused(String sourceKey, String dtype, List<Long> shape, int sourceIndex) {}

  /**
   * A coverage gate, measured.
   *
   * @param prefix the target-key prefix it covers
   * @param minLoadedFraction the fraction it requires
   * @param targetKeys target entries under the prefix
   * @param targetNumel their elements
   * @param loadedNumel those elements taken from the checkpoints
   * @param loadedFraction {@code loadedNumel / targetNumel} (1 when the entries have no elements, 0
   *     when there are none)
   * @param met whether the gate holds; never when no target key is under the prefix
   */
  public record Coverage(
      String prefix,
      double minLoadedFraction,
      int targetKeys,
      long targetNumel,
      long loadedNumel,
      double loadedFraction,
      boolean met) {}

  /**
   * A key rule that, appended to the options' rules, would load more entries.
   *
   * @param rule the rule
   * @param gain how many more entries would be {@code LOADED}
   */
  @Schema(requiredProperties = {"rule", "gain"})
  public record SuggestedKeyRule(
      KeyRule rule, @Schema(description = "How many more entries would be LOADED") int gain) {}
}

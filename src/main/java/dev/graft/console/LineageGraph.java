package dev.graft.console;

import dev.graft.architecture.ArchitectureService;
import dev.graft.checkpoint.CheckpointService;
import dev.graft.diff.DiffRequest;
import dev.graft.diff.DiffService;
import dev.graft.diff.LayoutRef;
import dev.graft.plan.LayoutDiff;
import dev.graft.registry.ModelVersion;
import dev.graft.registry.ModelVersionNotFound;
import dev.graft.registry.RegistryService;
import dev.graft.shared.UnknownReference;
import dev.graft.warmstart.RunNotFound;
import dev.graft.warmstart.RunService;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * A version's lineage as the version page draws it, laid out on the server as a small graph
 * (checkpoint and architecture → run → version, and the model's previous version with the layout
 * diff between the two): boxes and arrows in SVG coordinates, each box a link to its page when what
 * it stands for still exists.
 */
@Component
class LineageGraph {

  static final int WIDTH = 840;
  static final int BOX_W = 190;
  static final int BOX_H = 58;

  /**
   * A box.
   *
   * @param kind what it is (checkpoint, architecture, run, version, previous), its first line
   * @param x left edge
   * @param y top edge
   * @param title the second line: its name
   * @param detail the third line
   * @param href its page, {@code null} when it no longer exists
   * @param full the whole of what the box shortens, for its tooltip
   */
  record Box(String kind, int x, int y, String title, String detail, String href, String full) {
    int right() {
      return x + BOX_W;
    }

    int middleY() {
      return y + BOX_H / 2;
    }

    int middleX() {
      return x + BOX_W / 2;
    }
  }

  /**
   * An arrow.
   *
   * @param x1 from
   * @param y1 from
   * @param x2 to (the head)
   * @param y2 to
   * @param label words beside it, or {@code null}
   * @param dashed whether it is a comparison rather than a making
   */
  record Arrow(int x1, int y1, int x2, int y2, String label, boolean dashed) {}

  /**
   * The layout change from the previous version to this one.
   *
   * @param version the previous version's number
   * @param added keys only this version has
   * @param removed keys only the previous version has
   * @param shapeChanged keys whose shape changed
   * @param dtypeChanged keys whose dtype changed
   * @param unchanged keys alike
   * @param problem why the two could not be compared (an artifact Graft cannot read), or {@code
   *     null}
   */
  record Change(
      int version,
      int added,
      int removed,
      int shapeChanged,
      int dtypeChanged,
      int unchanged,
      String problem) {
    /** Whether the two layouts were compared (else {@code problem} says why not). */
    public boolean compared() {
      return problem == null;
    }

    String words() {
      if (problem != null) {
        return "not compared";
      }
      return added == 0 && removed == 0 && shapeChanged == 0 && dtypeChanged == 0
          ? "same layout"
          : "+" + added + " −" + removed + " ~" + (shapeChanged + dtypeChanged);
    }
  }

  /**
   * The drawing.
   *
   * @param height the drawing's height
   * @param boxes the boxes
   * @param arrows the arrows
   * @param change the layout change from the previous version, {@code null} when there is none
   * @param description the graph in a sentence, for the drawing's {@code <desc>}
   */
  record Drawing(
      int height, List<Box> boxes, List<Arrow> arrows, Change change, String description) {
    public int width() {
      return WIDTH;
    }
  }

  private final CheckpointService checkpoints;
  private final ArchitectureService architectures;
  private final RunService runs;
  private final RegistryService registry;
  private final DiffService diffs;

  LineageGraph(
      CheckpointService checkpoints,
      ArchitectureService architectures,
      RunService runs,
      RegistryService registry,
      DiffService diffs) {
    this.checkpoints = checkpoints;
    this.architectures = architectures;
    this.runs = runs;
    this.registry = registry;
    this.diffs = diffs;
  }

  Drawing of(ModelVersion v) {
    ModelVersion.Lineage l = v.lineage();
    UUID ckpt = l.checkpointId();
    UUID arch = l.architectureId();
    boolean ckptThere = ckpt != null && checkpoints.exists(ckpt);
    boolean archThere = arch != null && architectures.exists(arch);
    String runStatus;
    try {
      runStatus = runs.get(v.runId()).status().name();
    } catch (RunNotFound e) {
      runStatus = null;
    }
    Box checkpoint =
        new Box(
            "checkpoint",
            20,
            20,
            ckptThere ? shorten(checkpoints.get(ckpt).name()) : "(deleted)",
            "sha256 " + l.checkpointSha256().substring(0, 12),
            ckptThere ? "/console/checkpoints/" + ckpt : null,
            "checkpoint " + ckpt + ", SHA-256 " + l.checkpointSha256());
    Box architecture =
        new Box(
            "architecture",
            20,
            140,
            archThere ? shorten(architectures.get(arch).name()) : "(deleted)",
            "id " + String.valueOf(arch).substring(0, 8),
            archThere ? "/console/architectures/" + arch : null,
            "architecture " + arch);
    Box run =
        new Box(
            "run",
            330,
            80,
            v.runId().toString().substring(0, 8),
            runStatus == null ? "(deleted)" : runStatus.toLowerCase(java.util.Locale.ROOT),
            runStatus == null ? null : "/console/runs/" + v.runId(),
            "warm-start run " + v.runId());
    Box version =
        new Box(
            "version",
            630,
            80,
            shorten(v.model()) + " v" + v.version(),
            v.aliases().isEmpty() ? "this version" : "aliases " + String.join(", ", v.aliases()),
            "/console/models/" + v.model() + "/versions/" + v.version(),
            "model " + v.model() + " version " + v.version());
    List<Box> boxes = new ArrayList<>(List.of(checkpoint, architecture, run, version));
    List<Arrow> arrows = new ArrayList<>();
    // The two inputs meet the run a little apart, so their arrowheads do not overlap.
    arrows.add(
        new Arrow(
            checkpoint.right(),
            checkpoint.middleY(),
            run.x() - 4,
            run.middleY() - 10,
            null,
            false));
    arrows.add(
        new Arrow(
            architecture.right(),
            architecture.middleY(),
            run.x() - 4,
            run.middleY() + 10,
            null,
            false));
    arrows.add(
        new Arrow(run.right(), run.middleY(), version.x() - 4, version.middleY(), "made", false));
    Change change = previous(v);
    int height = 220;
    String description =
        "Version "
            + v.version()
            + " of "
            + v.model()
            + " was made by run "
            + v.runId()
            + " from checkpoint "
            + l.checkpointSha256().substring(0, 12)
            + " loaded into architecture "
            + arch
            + ".";
    if (change != null) {
      Box before =
          new Box(
              "previous",
              630,
              200,
              shorten(v.model()) + " v" + change.version(),
              "layout to v" + v.version() + ": " + change.words(),
              "/console/models/" + v.model() + "/versions/" + change.version(),
              "model " + v.model() + " version " + change.version());
      boxes.add(before);
      arrows.add(
          new Arrow(
              before.middleX(),
              before.y(),
              version.middleX(),
              version.y() + BOX_H + 4,
              null,
              true));
      height = 280;
      description +=
          !change.compared()
              ? " Its layout could not be compared with version "
                  + change.version()
                  + "'s: "
                  + change.problem()
                  + "."
              : " Compared with version "
                  + change.version()
                  + ", its layout has "
                  + change.added()
                  + " keys added, "
                  + change.removed()
                  + " removed, "
                  + change.shapeChanged()
                  + " with another shape and "
                  + change.dtypeChanged()
                  + " with another dtype.";
    }
    return new Drawing(height, List.copyOf(boxes), List.copyOf(arrows), change, description);
  }

  /** The layout diff from the model's previous version, when it exists and has an artifact. */
  private Change previous(ModelVersion v) {
    if (v.version() <= 1) {
      return null;
    }
    int before = v.version() - 1;
    try {
      registry.get(v.model(), before);
      LayoutDiff.Result d =
          diffs.diff(
              new DiffRequest(
                  new LayoutRef(null, null, v.model(), before),
                  new LayoutRef(null, null, v.model(), v.version())));
      return new Change(
          before,
          d.added().size(),
          d.removed().size(),
          d.shapeChanged().size(),
          d.dtypeChanged().size(),
          d.unchanged(),
          null);
    } catch (ModelVersionNotFound | UnknownReference e) {
      // Deleted, or without a state-dict artifact to read the layout from: nothing to compare.
      return null;
    } catch (UncheckedIOException e) {
      // A stored artifact that cannot be read as a checkpoint: the page still shows the lineage.
      return new Change(
          before,
          0,
          0,
          0,
          0,
          0,
          "a stored artifact could not be read as a checkpoint ("
              + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage())
              + ")");
    }
  }

  private static String shorten(String s) {
    return s.length() <= 21 ? s : s.substring(0, 20) + "…";
  }
}

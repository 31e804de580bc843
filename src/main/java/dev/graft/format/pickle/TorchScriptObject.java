package dev.graft.format.pickle;

import java.util.Objects;

/**
 * An object of a TorchScript class ({@code __torch__.*}) as a TorchScript archive's {@code
 * data.pkl} describes it: only the class's qualified name and the state {@code BUILD} gave it. It
 * is an inert record; the class's code is never looked up, let alone run.
 *
 * <p>Identity semantics, like {@link PickleDict}: a pickle may share one object in several places.
 */
public final class TorchScriptObject {

  private final String className;
  private Object state;
  private boolean built;

  /** How deeply containers nest inside it, itself included, as the unpickler counts. */
  int depth = 1;

  TorchScriptObject(String className) {
    this.className = Objects.requireNonNull(className);
  }

  /** The class's qualified name, e.g. {@code __torch__.torch.nn.modules.linear.Linear}. */
  public String className() {
    return className;
  }

  /**
   * The state {@code BUILD} set: for a module, a dict of its attributes in slot order; {@code null}
   * before {@code BUILD}.
   */
  public Object state() {
    return state;
  }

  /** Whether {@code BUILD} has set the state. */
  public boolean built() {
    return built;
  }

  void build(Object newState) {
    this.state = newState;
    this.built = true;
  }

  @Override
  public String toString() {
    return "TorchScriptObject(" + className + ")";
  }
}

package dev.graft.plan;

import java.util.List;
import java.util.Objects;

/**
 * The layout of the model a checkpoint is loaded into.
 *
 * @param name the model's class name, used in PyTorch's error text ({@code Error(s) in loading
 *     state_dict for NAME})
 * @param entries the entries in {@code state_dict()} order
 */
public record TargetArchitecture(String name, List<TargetEntry> entries) {

  /** Checks the name and copies the entries. */
  public TargetArchitecture {
    Objects.requireNonNull(name, "name");
    entries = List.copyOf(entries);
  }
}

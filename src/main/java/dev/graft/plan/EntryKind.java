package dev.graft.plan;

/** What a target entry is in its module: a parameter, a persistent buffer, or not known. */
public enum EntryKind {
  /** An {@code nn.Parameter}. */
  PARAMETER,
  /** A persistent buffer such as BatchNorm's {@code running_mean}. */
  BUFFER,
  /** The architecture's source did not say (a plain {@code state_dict()} or safetensors). */
  UNKNOWN
}

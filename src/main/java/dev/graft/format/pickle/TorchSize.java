package dev.graft.format.pickle;

import java.util.List;

/**
 * A {@code torch.Size} from a pickle.
 *
 * @param dims the sizes
 */
record TorchSize(List<Long> dims) {

  /** Copies the sizes so the record stays immutable. */
  public TorchSize {
    dims = List.copyOf(dims);
  }
}

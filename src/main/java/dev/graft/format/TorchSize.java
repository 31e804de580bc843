package dev.graft.format;

import java.util.List;

/**
 * A {@code torch.Size} from a pickle.
 *
 * @param dims the sizes
 */
public record TorchSize(List<Long> dims) {

  public TorchSize {
    dims = List.copyOf(dims);
  }
}

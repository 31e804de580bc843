package dev.graft.plan;

import java.util.List;

/** Shape arithmetic and PyTorch's rendering of shapes. */
final class Shapes {

  private Shapes() {}

  static long numel(List<Long> shape) {
    long n = 1;
    for (long s : shape) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }

  /** Elements in the block both shapes share; 0 when the ranks differ. */
  static long overlapNumel(List<Long> a, List<Long> b) {
    if (a.size() != b.size()) {
      return 0;
    }
    long n = 1;
    for (int i = 0; i < a.size(); i++) {
      n = Math.multiplyExact(n, Math.min(a.get(i), b.get(i)));
    }
    return n;
  }

  /** {@code torch.Size([3, 4])}, {@code torch.Size([])} for 0-dim, as {@code str(tensor.shape)}. */
  static String torchSize(List<Long> shape) {
    StringBuilder b = new StringBuilder("torch.Size([");
    for (int i = 0; i < shape.size(); i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(shape.get(i));
    }
    return b.append("])").toString();
  }
}

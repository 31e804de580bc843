package dev.graft.console;

import dev.graft.plan.CoverageGate;
import dev.graft.shared.InvalidInput;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage gates as the preview form writes them, one a line: the target-key prefix, then the least
 * share of its elements that must come from the checkpoint, as a fraction or a percentage ({@code
 * encoder. 0.9}, {@code encoder. 90%}); a line with the share alone covers the whole model. The
 * gate itself, and the check of its values, is the API's {@link CoverageGate}.
 */
final class GateText {

  private GateText() {}

  static List<CoverageGate> parse(String text) {
    List<CoverageGate> gates = new ArrayList<>();
    if (text == null) {
      return gates;
    }
    String[] lines = text.split("\\R");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String prefix = space < 0 ? "" : line.substring(0, space).strip();
      String share = space < 0 ? line : line.substring(space + 1);
      gates.add(new CoverageGate(prefix, fraction("require line " + (i + 1), share)));
    }
    return gates;
  }

  private static double fraction(String field, String share) {
    boolean percent = share.endsWith("%");
    String number = percent ? share.substring(0, share.length() - 1) : share;
    try {
      BigDecimal value = new BigDecimal(number);
      return percent ? value.movePointLeft(2).doubleValue() : value.doubleValue();
    } catch (NumberFormatException e) {
      throw new InvalidInput(
          field,
          "reads '<prefix> <share>', the share a fraction (0.9) or a percentage (90%); '"
              + share
              + "' is neither");
    }
  }

  static String format(CoverageGate gate) {
    String share =
        BigDecimal.valueOf(gate.minLoadedFraction()).stripTrailingZeros().toPlainString();
    return gate.prefix().isEmpty() ? share : gate.prefix() + " " + share;
  }
}

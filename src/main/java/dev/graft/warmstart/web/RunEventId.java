package dev.graft.warmstart.web;

import dev.graft.shared.InvalidInput;
import dev.graft.warmstart.Run;

/**
 * The {@code id:} of a run's event, which a reconnecting client sends back as {@code Last-Event-ID}
 * to receive only what follows: {@code <attempt>.<tensorsDone>.<bytesDone>} for progress (ordered
 * by attempt, then progress within it; a retried run starts again from zero under its next
 * attempt), and {@value #END} for the final status. It depends only on the run's row, so any
 * replica can resume any stream.
 */
record RunEventId(int attempt, long tensors, long bytes) {

  static final String END = "end";

  static RunEventId of(Run r) {
    return new RunEventId(r.attempts(), r.progress().tensorsDone(), r.progress().bytesDone());
  }

  /** A client's {@code Last-Event-ID}: {@code null} when absent, {@link #FINAL} for the end. */
  static RunEventId parse(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    if (header.equals(END)) {
      return FINAL;
    }
    String[] parts = header.split("\\.", -1);
    try {
      if (parts.length == 3) {
        RunEventId id =
            new RunEventId(
                Integer.parseInt(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
        if (id.attempt >= 0 && id.tensors >= 0 && id.bytes >= 0) {
          return id;
        }
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new InvalidInput(
        "Last-Event-ID",
        "must be an id this stream sent (attempt.tensors.bytes, or 'end'), was "
            + dev.graft.shared.Texts.quote(
                header.length() > 64 ? header.substring(0, 64) : header));
  }

  /** The id after the final status event: nothing follows it. */
  static final RunEventId FINAL = new RunEventId(Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

  boolean isAfter(RunEventId o) {
    if (attempt != o.attempt) {
      return attempt > o.attempt;
    }
    if (tensors != o.tensors) {
      return tensors > o.tensors;
    }
    return bytes > o.bytes;
  }

  @Override
  public String toString() {
    return attempt + "." + tensors + "." + bytes;
  }
}

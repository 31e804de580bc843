package dev.graft.registry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Tiny valid uploads whose bytes no other test stores, built in the test. */
public final class Safetensors {

  private Safetensors() {}

  /**
   * A safetensors checkpoint with one float32 tensor {@code w} of {@code floats} elements and a
   * unique {@code __metadata__} entry, so its SHA-256 is new.
   */
  public static byte[] unique(int floats) {
    String header =
        "{\"__metadata__\":{\"test\":\""
            + UUID.randomUUID()
            + "\"},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":["
            + floats
            + "],\"data_offsets\":[0,"
            + floats * 4
            + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + floats * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    for (int i = 0; i < floats; i++) {
      b.putFloat(i);
    }
    return b.array();
  }

  /** A small unique checkpoint. */
  public static byte[] unique() {
    return unique(4);
  }

  /** A JSON architecture whose name, and so whose stored bytes, no other test uses. */
  public static String uniqueArchitectureJson() {
    return "{\"name\":\"arch-"
        + UUID.randomUUID()
        + "\",\"entries\":[{\"key\":\"w\",\"dtype\":\"float32\",\"shape\":[4],"
        + "\"kind\":\"BUFFER\",\"init\":{\"scheme\":\"zeros\"}}]}";
  }
}

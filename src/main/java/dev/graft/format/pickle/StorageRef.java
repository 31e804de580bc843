package dev.graft.format.pickle;

import dev.graft.format.DType;

/**
 * A storage a pickle refers to through a persistent id {@code ('storage', type, key, location,
 * numel)}; its bytes are the zip record {@code data/<key>}.
 *
 * @param key the storage key, e.g. {@code 0}
 * @param dtype the element type the storage class declares ({@code uint8} for an untyped storage)
 * @param location where it was saved from, e.g. {@code cpu} or {@code cuda:0}
 * @param numel the declared number of elements
 */
public record StorageRef(String key, DType dtype, String location, long numel) {

  /** The record name below the archive root, {@code data/<key>}. */
  public String recordName() {
    return "data/" + key;
  }
}

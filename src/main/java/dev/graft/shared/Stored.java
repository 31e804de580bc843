package dev.graft.shared;

/**
 * The outcome of storing content-addressed bytes.
 *
 * @param resource the stored resource
 * @param created {@code true} when the bytes were new, {@code false} when identical bytes were
 *     stored before and {@code resource} is the existing one
 */
public record Stored<T>(T resource, boolean created) {}

/**
 * Safetensors files: {@link dev.graft.format.safetensors.SafetensorsReader} validates a header as
 * the reference implementation does, {@link dev.graft.format.safetensors.SafetensorsWriter} streams
 * one.
 */
package dev.graft.format.safetensors;

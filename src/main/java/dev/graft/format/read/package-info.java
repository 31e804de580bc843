/**
 * The entry point for reading a checkpoint of any format: {@link
 * dev.graft.format.read.CheckpointReader} recognises the format and hands the file to the torch or
 * safetensors reader. It sits above every format package, so that they can share the root package's
 * types without a cycle.
 */
package dev.graft.format.read;

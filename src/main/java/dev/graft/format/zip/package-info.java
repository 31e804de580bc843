/**
 * The zip layer of torch archives: {@link dev.graft.format.zip.TorchZip} reads and checks a record
 * table without {@code java.util.zip}, {@link dev.graft.format.zip.TorchZipWriter} lays records out
 * as torch's miniz writer does, and {@link dev.graft.format.zip.RangeCrc} answers the CRC-32 of
 * byte ranges, the one type code outside format uses (storage keeps block CRCs of uploads).
 */
package dev.graft.format.zip;

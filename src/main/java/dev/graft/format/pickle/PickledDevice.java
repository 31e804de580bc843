package dev.graft.format.pickle;

/**
 * A {@code torch.device} value as a pickle describes it: inert data, never a device Graft computes
 * on (that is DJL's {@code ai.djl.Device}, in the warm-start internals).
 *
 * @param type the device type, e.g. {@code cpu} or {@code cuda}
 * @param index the device index, or {@code null} when none was given
 */
record PickledDevice(String type, Long index) {}

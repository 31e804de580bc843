package dev.graft.format;

/**
 * A {@code torch.device} from a pickle.
 *
 * @param type the device type, e.g. {@code cpu} or {@code cuda}
 * @param index the device index, or {@code null} when none was given
 */
public record Device(String type, Long index) {}

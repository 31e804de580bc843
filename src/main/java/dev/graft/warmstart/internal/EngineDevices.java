package dev.graft.warmstart.internal;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;

/**
 * What DJL's PyTorch engine sees on this machine, and the device names runs record ({@code cpu},
 * {@code cuda:N}).
 *
 * <p>Every entry point loads the engine through {@link #engine()}, which forbids downloads first:
 * the native library comes from the Maven artifact on the classpath, never from the network.
 */
final class EngineDevices {

  /** DJL's name for the PyTorch engine. */
  static final String ENGINE_NAME = "PyTorch";

  private EngineDevices() {}

  /**
   * The PyTorch engine, loaded offline. DJL reads {@code ai.djl.offline} when the engine first
   * loads, so the property is set here, before any other DJL call, unless the deployment set it
   * explicitly.
   */
  static synchronized Engine engine() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    return Engine.getEngine(ENGINE_NAME);
  }

  /** The number of CUDA devices the engine can use; 0 with the CPU-only native library. */
  static int gpuCount() {
    return engine().getGpuCount();
  }

  /** The devices the engine can use, GPUs first as {@code cuda:N}, then {@code cpu}. */
  static List<String> devices() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < gpuCount(); i++) {
      names.add("cuda:" + i);
    }
    names.add("cpu");
    return List.copyOf(names);
  }

  /**
   * The device a run uses when none is requested: {@code cuda:0} when a GPU is visible, else {@code
   * cpu}.
   */
  static String defaultDevice() {
    return gpuCount() > 0 ? "cuda:0" : "cpu";
  }

  /** The version of the native PyTorch library the engine loaded, e.g. {@code 2.7.1}. */
  static String engineVersion() {
    return engine().getVersion();
  }

  /**
   * Parses a device name the API uses ({@code cpu}, {@code cuda}, {@code cuda:N}, or DJL's {@code
   * gpu(N)}) into DJL's device.
   *
   * @throws IllegalArgumentException for any other name
   */
  static Device parse(String name) {
    String n = name.trim().toLowerCase(java.util.Locale.ROOT);
    if (n.equals("cpu")) {
      return Device.cpu();
    }
    if (n.equals("cuda") || n.equals("gpu")) {
      return Device.gpu(0);
    }
    String id = null;
    if (n.startsWith("cuda:")) {
      id = n.substring(5);
    } else if (n.startsWith("gpu(") && n.endsWith(")")) {
      id = n.substring(4, n.length() - 1);
    }
    if (id != null && id.matches("\\d{1,4}")) {
      return Device.gpu(Integer.parseInt(id));
    }
    throw new IllegalArgumentException("unknown device '" + name + "': expected cpu or cuda:N");
  }

  /** The API's name for a DJL device: {@code cpu} or {@code cuda:N}. */
  static String nameOf(Device device) {
    return device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu";
  }
}

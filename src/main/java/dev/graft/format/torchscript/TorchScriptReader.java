package dev.graft.format.torchscript;

import dev.graft.format.CheckpointFormat;
import dev.graft.format.FormatException;
import dev.graft.format.ReadLimits;
import dev.graft.format.internal.ChannelReads;
import dev.graft.format.internal.ParseBudget;
import dev.graft.format.pickle.ParameterRef;
import dev.graft.format.pickle.PickleDict;
import dev.graft.format.pickle.RestrictedUnpickler;
import dev.graft.format.pickle.TensorRef;
import dev.graft.format.pickle.TorchScriptObject;
import dev.graft.format.torch.TensorIndexer;
import dev.graft.format.torch.TorchCheckpointReader;
import dev.graft.format.zip.RangeCrc;
import dev.graft.format.zip.TorchZip;
import dev.graft.format.zip.TorchZipEntry;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a TorchScript archive ({@code torch.jit.save}) as a target architecture: the model's {@code
 * state_dict()} layout (keys in order, dtype, shape, parameter or buffer, {@code requires_grad})
 * and where each initial value lies in the file, without running any of its code.
 *
 * <p>{@code data.pkl} is evaluated by the {@link RestrictedUnpickler} in TorchScript mode, which
 * turns {@code __torch__.*} objects into inert {@link TorchScriptObject} records. Each module's
 * {@code __parameters__} and {@code __buffers__} lists are read as string literals from its class's
 * {@code code/} record; the code itself is never evaluated. Keys follow {@code
 * Module.state_dict()}: a module's own parameters, then its buffers, then each child module in
 * attribute order, recursively; {@code None} entries are skipped.
 *
 * <p>TorchScript (torch 1.13) does not record whether a buffer is persistent: a buffer registered
 * with {@code persistent=False} is listed in {@code __buffers__} like any other, and the loaded
 * module's {@code state_dict()} includes it. This reader returns it too, as the archive describes
 * it; an eager model's {@code state_dict()} would leave it out.
 *
 * <p><b>Bounded work.</b> A pickle can share one submodule in many places, so the module graph is a
 * DAG whose paths can be exponentially many. Each object is analysed once (its class, its own
 * tensors, its ordered submodules, whether anything below it holds a tensor and how many module
 * paths it spans), so a subtree without tensors costs O(1) however often it is shared, while keys
 * still follow {@code state_dict()}: a shared module with tensors appears once per path. Module
 * paths are bounded by {@code maxTensors}, nesting by {@code maxDepth}, code records by {@code
 * maxCodeRecordBytes} each and {@code maxCodeBytes} together, and everything by the parse's work
 * budget and deadline. Every record's CRC-32 is checked last ({@link TorchZip#verifyRecords}).
 */
public final class TorchScriptReader {

  static final String NOT_TORCHSCRIPT_MESSAGE =
      "this is a torch.save checkpoint, not a TorchScript archive; upload it as a checkpoint, or"
          + " save the architecture with torch.jit.save(torch.jit.script(model), path)";

  private TorchScriptReader() {}

  /**
   * Reads a TorchScript archive's state-dict layout.
   *
   * @param file the whole file
   * @param limits the limits to enforce
   * @return the archive's state-dict entries in {@code state_dict()} order
   * @throws FormatException UNSUPPORTED for a checkpoint or safetensors file, UNSAFE for a global
   *     outside the allow-list (such as {@code posix.system}), MALFORMED for a missing or
   *     unreadable code record or {@code __parameters__}/{@code __buffers__} literal, a module
   *     whose state does not hold what its class lists, or a tensor outside its storage,
   *     LIMIT_EXCEEDED for a limit; the message says what and where
   * @throws IOException when the channel cannot be read
   */
  public static TorchScriptIndex read(SeekableByteChannel file, ReadLimits limits)
      throws IOException {
    return read(file, limits, RangeCrc.reading(file));
  }

  /**
   * Reads a TorchScript archive's state-dict layout, taking the CRC-32 of its records from {@code
   * crcs} (for a store that computed them while the file was received).
   *
   * @param file the whole file
   * @param limits the limits to enforce
   * @param crcs gives the CRC-32 of byte ranges of {@code file}
   * @return the archive's state-dict entries in {@code state_dict()} order
   * @throws FormatException as {@link #read(SeekableByteChannel, ReadLimits)} says
   * @throws IOException when the channel cannot be read
   */
  public static TorchScriptIndex read(SeekableByteChannel file, ReadLimits limits, RangeCrc crcs)
      throws IOException {
    if (CheckpointFormat.detect(ChannelReads.head(file, CheckpointFormat.SIGNATURE_BYTES))
        != CheckpointFormat.PYTORCH) {
      throw FormatException.unsupported(
          "this is a safetensors file, not a TorchScript archive; save the architecture with"
              + " torch.jit.save(torch.jit.script(model), path)");
    }
    ParseBudget budget = ParseBudget.start(limits);
    TorchZip zip = TorchZip.open(file, limits, budget);
    if (!TorchCheckpointReader.isTorchScript(zip)) {
      throw FormatException.unsupported(NOT_TORCHSCRIPT_MESSAGE);
    }
    TorchZipEntry pkl =
        zip.find("data.pkl")
            .orElseThrow(
                () ->
                    FormatException.malformed(
                        "TorchScript archive has no "
                            + FormatException.quote(zip.root() + "/data.pkl")
                            + " record"));
    ByteOrder order = TensorIndexer.byteOrder(file, zip);
    byte[] pickle = zip.readStored(file, pkl, limits.maxPickleBytes());
    RestrictedUnpickler unpickler = new RestrictedUnpickler(limits, true, budget);
    Object root = unpickler.load(pickle);
    TensorIndexer indexer = TensorIndexer.of(zip, unpickler.storages(), order, limits);
    if (!(root instanceof TorchScriptObject module)) {
      throw FormatException.malformed(
          "data.pkl holds a " + RestrictedUnpickler.describe(root) + ", not a TorchScript module");
    }
    Walker walker = new Walker(file, zip, indexer, limits, budget);
    if (!walker.classOf(module).module()) {
      throw FormatException.unsupported(
          "the archive's root object of class "
              + FormatException.quote(module.className())
              + " is not a module");
    }
    walker.analyse(module, "", 1);
    walker.emit(module, "");
    indexer.checkRemaining();
    zip.verifyRecords(file, crcs, limits, budget);
    return new TorchScriptIndex(module.className(), walker.entries);
  }

  /**
   * One module object, analysed once however many paths lead to it.
   *
   * @param parameters own parameters, name to value, in {@code __parameters__} order
   * @param buffers own buffers, name to value, in {@code __buffers__} order
   * @param children submodules, attribute name to object, in slot order
   * @param holdsTensor whether this module or any below it has a tensor
   * @param paths module paths in this subtree, itself included (saturating)
   */
  private record Node(
      List<Map.Entry<String, Object>> parameters,
      List<Map.Entry<String, Object>> buffers,
      List<Map.Entry<String, TorchScriptObject>> children,
      boolean holdsTensor,
      long paths) {}

  /** Walks the module DAG, reading each class's code record once and each object once. */
  private static final class Walker {
    private final SeekableByteChannel file;
    private final TorchZip zip;
    private final TensorIndexer indexer;
    private final ReadLimits limits;
    private final ParseBudget budget;
    private final Map<String, Map<String, TorchScriptCode.ClassDecl>> codeByRecord =
        new HashMap<>();
    private final Map<TorchScriptObject, Node> nodes = new IdentityHashMap<>();
    private final Set<TorchScriptObject> onPath =
        Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<TorchScriptEntry> entries = new ArrayList<>();
    private long codeBytes;
    private long modulesVisited;

    Walker(
        SeekableByteChannel file,
        TorchZip zip,
        TensorIndexer indexer,
        ReadLimits limits,
        ParseBudget budget) {
      this.file = file;
      this.zip = zip;
      this.indexer = indexer;
      this.limits = limits;
      this.budget = budget;
    }

    /**
     * Analyses a module and, first time only, everything below it; messages name the path it was
     * first reached by.
     */
    Node analyse(TorchScriptObject module, String prefix, int depth) throws IOException {
      String who = "module " + FormatException.quote(prefix.isEmpty() ? "(root)" : prefix);
      if (onPath.contains(module)) {
        throw FormatException.malformed(who + " contains itself");
      }
      Node done = nodes.get(module);
      if (done != null) {
        return done;
      }
      if (depth > limits.maxDepth()) {
        throw FormatException.limit(
            who + " is nested deeper than the limit of " + limits.maxDepth() + " modules");
      }
      budget.charge();
      onPath.add(module);
      TorchScriptCode.ClassDecl decl = classOf(module);
      if (!(module.state() instanceof PickleDict state)) {
        // A module with its own __getstate__ pickles arbitrary state; its layout is unknowable
        // without running __setstate__.
        throw FormatException.unsupported(
            who
                + " of class "
                + FormatException.quote(module.className())
                + " has custom pickled state (a "
                + RestrictedUnpickler.describe(module.state())
                + "), not an attribute dict");
      }
      Set<String> tensorNames = new HashSet<>();
      List<Map.Entry<String, Object>> parameters = new ArrayList<>();
      for (String name : decl.parameters()) {
        budget.charge();
        tensorNames.add(name);
        Object value = attribute(state, name, who, "parameter");
        if (value == null) {
          continue;
        }
        Object parameter;
        if (value instanceof ParameterRef p) {
          parameter = p;
        } else if (value instanceof TensorRef t) {
          // TorchScript pickles parameters as plain tensors; requires_grad is the tensor's flag.
          parameter = new ParameterRef(t, t.requiresGrad());
        } else {
          throw notATensor(who, "parameter", name, value);
        }
        parameters.add(Map.entry(name, parameter));
      }
      List<Map.Entry<String, Object>> buffers = new ArrayList<>();
      for (String name : decl.buffers()) {
        budget.charge();
        tensorNames.add(name);
        Object value = attribute(state, name, who, "buffer");
        if (value == null) {
          continue;
        }
        if (!(value instanceof TensorRef)) {
          throw notATensor(who, "buffer", name, value);
        }
        buffers.add(Map.entry(name, value));
      }
      // Slot order of submodules is the eager model's _modules order, which state_dict() follows.
      List<Map.Entry<String, TorchScriptObject>> children = new ArrayList<>();
      boolean holdsTensor = !parameters.isEmpty() || !buffers.isEmpty();
      long paths = 1;
      for (Map.Entry<Object, Object> e : state.entrySet()) {
        budget.charge();
        if (!(e.getKey() instanceof String name)) {
          throw FormatException.malformed(
              who + " has an attribute named by a " + RestrictedUnpickler.describe(e.getKey()));
        }
        if (tensorNames.contains(name)
            || !(e.getValue() instanceof TorchScriptObject child)
            || !classOf(child).module()) {
          continue;
        }
        if (name.isEmpty() || name.indexOf('.') >= 0) {
          throw FormatException.malformed(
              who + " has a submodule named " + FormatException.quote(name));
        }
        Node c = analyse(child, prefix + name + ".", depth + 1);
        children.add(Map.entry(name, child));
        holdsTensor |= c.holdsTensor();
        paths = c.paths() > Long.MAX_VALUE - paths ? Long.MAX_VALUE : paths + c.paths();
      }
      onPath.remove(module);
      Node node = new Node(parameters, buffers, children, holdsTensor, paths);
      nodes.put(module, node);
      return node;
    }

    /**
     * Adds a module's keys under {@code prefix}, in {@code state_dict()} order: its own parameters,
     * its buffers, then each submodule's. A submodule without tensors adds no key, so it is only
     * counted, however many paths it spans.
     */
    void emit(TorchScriptObject module, String prefix) throws FormatException {
      budget.charge();
      Node node = nodes.get(module);
      countPaths(1);
      for (Map.Entry<String, Object> p : node.parameters()) {
        add(prefix + p.getKey(), p.getValue(), TorchScriptEntry.Kind.PARAMETER);
      }
      for (Map.Entry<String, Object> b : node.buffers()) {
        add(prefix + b.getKey(), b.getValue(), TorchScriptEntry.Kind.BUFFER);
      }
      for (Map.Entry<String, TorchScriptObject> c : node.children()) {
        Node child = nodes.get(c.getValue());
        if (child.holdsTensor()) {
          emit(c.getValue(), prefix + c.getKey() + ".");
        } else {
          countPaths(child.paths());
        }
      }
    }

    // A shared submodule is visited once per path, as state_dict() does; paths are bounded like
    // tensors are.
    private void countPaths(long n) throws FormatException {
      modulesVisited = n > Long.MAX_VALUE - modulesVisited ? Long.MAX_VALUE : modulesVisited + n;
      if (modulesVisited > limits.maxTensors()) {
        throw FormatException.limit(
            "module tree has more than the limit of " + limits.maxTensors() + " module paths");
      }
    }

    private void add(String key, Object value, TorchScriptEntry.Kind kind) throws FormatException {
      budget.charge();
      if (entries.size() >= limits.maxTensors()) {
        throw FormatException.limit(
            "state dict holds more than the limit of " + limits.maxTensors() + " tensors");
      }
      entries.add(new TorchScriptEntry(indexer.index(key, value), kind));
    }

    private static Object attribute(PickleDict state, String name, String who, String role)
        throws FormatException {
      if (!state.containsKey(name)) {
        throw FormatException.malformed(
            who
                + " lists "
                + role
                + " "
                + FormatException.quote(name)
                + " but its pickled state has no such attribute");
      }
      return state.get(name);
    }

    private static FormatException notATensor(String who, String role, String name, Object v) {
      return FormatException.malformed(
          who
              + " "
              + role
              + " "
              + FormatException.quote(name)
              + " is a "
              + RestrictedUnpickler.describe(v)
              + ", not a tensor");
    }

    /** Finds an object's class declaration in {@code code/<module path>.py}. */
    TorchScriptCode.ClassDecl classOf(TorchScriptObject obj) throws IOException {
      String qualified = obj.className();
      int dot = qualified.lastIndexOf('.');
      // The unpickler only builds classes named by dotted identifiers under __torch__, so the
      // record name cannot leave code/.
      String record = "code/" + qualified.substring(0, dot).replace('.', '/') + ".py";
      String simple = qualified.substring(dot + 1);
      Map<String, TorchScriptCode.ClassDecl> classes = codeByRecord.get(record);
      if (classes == null) {
        TorchZipEntry entry =
            zip.find(record)
                .orElseThrow(
                    () ->
                        FormatException.malformed(
                            "TorchScript class "
                                + FormatException.quote(qualified)
                                + " has no code record "
                                + FormatException.quote(zip.root() + "/" + record)));
        if (entry.size() > limits.maxCodeRecordBytes()) {
          throw FormatException.limit(
              "code record "
                  + FormatException.quote(entry.name())
                  + " holds "
                  + entry.size()
                  + " bytes, more than the limit of "
                  + limits.maxCodeRecordBytes());
        }
        codeBytes += entry.size();
        if (codeBytes > limits.maxCodeBytes()) {
          throw FormatException.limit(
              "code records hold more than the limit of " + limits.maxCodeBytes() + " bytes");
        }
        // Inflates into a buffer that grows with the actual output, never the declared size.
        byte[] content = zip.readContent(file, entry, limits.maxCodeRecordBytes());
        budget.charge(1 + content.length / 64);
        classes = TorchScriptCode.parse(zip.root() + "/" + record, content, limits.maxKeyLength());
        codeByRecord.put(record, classes);
      }
      TorchScriptCode.ClassDecl decl = classes.get(simple);
      if (decl == null) {
        throw FormatException.malformed(
            "code record "
                + FormatException.quote(zip.root() + "/" + record)
                + " does not define class "
                + FormatException.quote(simple));
      }
      return decl;
    }
  }
}

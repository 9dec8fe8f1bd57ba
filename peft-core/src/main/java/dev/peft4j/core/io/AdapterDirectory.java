package dev.peft4j.core.io;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.spi.StoredModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A Hugging Face PEFT adapter directory opened for reading: {@code adapter_config.json} parsed and
 * its method found ({@link AdapterFileMethod}), {@code adapter_model.safetensors} open, and its
 * tensors grouped by adapted module.
 *
 * <p>Tensor names follow PEFT: {@code base_model.model.<module path>.<parameter>}, where the
 * parameter begins with a segment {@code lora_} ({@code lora_A.weight}, {@code lora_B.weight},
 * {@code lora_magnitude_vector}, a third-party method's own); any other tensor under {@code
 * base_model.model.} belongs to a module stored whole ({@code modules_to_save}). Which tensors a
 * module needs and how their shapes must fit is the method's to say ({@link
 * AdapterFileFormat#problems}). Files that do not fit (a missing tensor, a rank that differs from
 * the config's, a key the method does not read) still open; {@link #problems()} lists what is
 * wrong, for {@code peft4j inspect} to show and for loading and merging to refuse.
 */
public final class AdapterDirectory implements AutoCloseable {

    /** The weights file in an adapter directory. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /** PEFT's legacy weights file, a Python pickle. */
    public static final String PICKLE_FILE = "adapter_model.bin";

    /** The prefix of every tensor name PEFT saves. */
    public static final String TENSOR_PREFIX = "base_model.model.";

    private static final String ADAPTER_SEGMENT = "lora_";

    private final Path path;
    private final PeftAdapterConfig config;
    private final AdapterFileMethod method;
    private final SafetensorsFile weights;
    private final Map<String, AdapterModule> modules;
    private final Map<String, String> savedTensors;
    private final List<String> problems;

    private AdapterDirectory(Path path, PeftAdapterConfig config, AdapterFileMethod method, SafetensorsFile weights) {
        this.path = path;
        this.config = config;
        this.method = method;
        this.weights = weights;
        List<String> found = new ArrayList<>(method.unsupportedSettings());
        Map<String, Map<String, String>> byModule = new TreeMap<>(NaturalPathOrder.INSTANCE);
        Map<String, String> saved = new TreeMap<>(NaturalPathOrder.INSTANCE);
        for (String name : weights.tensors().keySet()) {
            classify(name, byModule, saved, found);
        }
        Map<String, AdapterModule> grouped = new LinkedHashMap<>();
        byModule.forEach((module, tensors) -> grouped.put(module, new AdapterModule(module, tensors)));
        if (grouped.isEmpty()) {
            found.add("no adapter tensors: expected names like " + TENSOR_PREFIX + "<module>.lora_A.weight");
        }
        AdapterFileFormat format = method.factory().fileFormat();
        grouped.values()
                .forEach(module -> format.problems(stored(module), moduleConfig(module.path()))
                        .forEach(problem -> found.add("module '" + module.path() + "': " + problem)));
        this.modules = Collections.unmodifiableMap(grouped);
        this.savedTensors = Collections.unmodifiableMap(new LinkedHashMap<>(saved));
        this.problems = List.copyOf(found);
    }

    /**
     * Opens an adapter directory.
     *
     * @param directory the directory
     * @param plugins the installed adapter methods, which read their files
     * @return the open adapter; close it when done
     * @throws PeftException when the directory or one of its two files is missing (with
     *     conversion advice when only the pickle {@code adapter_model.bin} is there), a file is
     *     malformed, or no installed method reads the configuration
     */
    public static AdapterDirectory open(Path directory, Plugins plugins) {
        if (!Files.isDirectory(directory)) {
            throw new PeftException(directory + (Files.exists(directory) ? " is not a directory" : " does not exist")
                    + "; expected a PEFT adapter directory with " + PeftConfigFile.FILE_NAME + " and " + WEIGHTS_FILE);
        }
        Path configFile = directory.resolve(PeftConfigFile.FILE_NAME);
        Path weightsFile = directory.resolve(WEIGHTS_FILE);
        if (!Files.exists(weightsFile) && Files.exists(directory.resolve(PICKLE_FILE))) {
            throw new PeftException(directory + " holds " + PICKLE_FILE + ", a Python pickle file: peft4j never "
                    + "unpickles, since loading a pickle can run arbitrary code. Convert it to " + WEIGHTS_FILE
                    + " with Python: import torch, safetensors.torch; safetensors.torch.save_file(torch.load('"
                    + PICKLE_FILE + "', weights_only=True), '" + WEIGHTS_FILE + "', metadata={'format': 'pt'})");
        }
        List<String> missing = new ArrayList<>();
        for (Path file : List.of(configFile, weightsFile)) {
            if (!Files.exists(file)) {
                missing.add(file.getFileName().toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new PeftException(directory + " is not a PEFT adapter directory: " + String.join(" and ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " missing");
        }
        PeftAdapterConfig config = PeftConfigFile.read(configFile);
        AdapterFileMethod method = AdapterFileMethod.of(config, configFile.toString(), plugins);
        SafetensorsFile weights = SafetensorsFile.open(weightsFile);
        try {
            return new AdapterDirectory(directory, config, method, weights);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * The directory.
     *
     * @return its path
     */
    public Path path() {
        return path;
    }

    /**
     * The parsed {@code adapter_config.json}.
     *
     * @return the configuration
     */
    public PeftAdapterConfig config() {
        return config;
    }

    /**
     * The file's adapter method and configuration.
     *
     * @return the method
     */
    public AdapterFileMethod method() {
        return method;
    }

    /**
     * One module's configuration, its rank and α resolved from the patterns.
     *
     * @param modulePath the module's path
     * @return the configuration
     */
    public AdapterConfig moduleConfig(String modulePath) {
        return method.config().forModule(modulePath);
    }

    /**
     * One module's tensors with their shapes, as the method's format sees them.
     *
     * @param module the module
     * @return the stored module
     */
    public StoredModule stored(AdapterModule module) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        module.tensors()
                .forEach((parameter, tensor) ->
                        shapes.put(parameter, weights.tensor(tensor).shape()));
        return new StoredModule(module.path(), shapes);
    }

    /**
     * The open {@code adapter_model.safetensors}, to read tensors from; closed with this directory.
     *
     * @return the weights file
     */
    public SafetensorsFile weights() {
        return weights;
    }

    /**
     * The adapter's tensors that hold NaN or ±Inf, read in full (so not part of {@link #problems()},
     * which comes from the headers alone); {@code peft4j inspect} lists them, and merging refuses them.
     *
     * @return one problem per such tensor, naming it and the first bad element's flat index
     * @throws PeftException when a tensor cannot be read
     */
    public List<String> nonFiniteTensors() {
        List<String> found = new ArrayList<>();
        for (TensorSpec spec : weights.tensors().values()) {
            if (spec.dtype().isFloatingPoint()) {
                weights.firstNonFinite(spec.name())
                        .ifPresent(index -> found.add("tensor '" + spec.name() + "' holds NaN or Inf (first at flat"
                                + " index " + index + " of " + spec.elementCount() + ")"));
            }
        }
        return found;
    }

    /**
     * The adapted modules, by module path, in natural path order ({@code h.2} before {@code h.10}).
     *
     * @return the modules
     */
    public Map<String, AdapterModule> modules() {
        return modules;
    }

    /**
     * The tensors of modules stored whole ({@code modules_to_save}), in natural path order.
     *
     * @return parameter path in the base model (e.g. {@code classifier.weight}) → tensor name
     */
    public Map<String, String> savedTensors() {
        return savedTensors;
    }

    /**
     * The tensor that holds one PEFT parameter of an adapted module, under any name the method
     * stores it by ({@link AdapterFileFormat#storedNames}).
     *
     * @param module the module
     * @param parameterName the parameter's PEFT name relative to the module, for example {@code lora_A.weight}
     * @return the tensor's name, or empty when the file lacks it
     */
    public Optional<String> tensor(AdapterModule module, String parameterName) {
        return method.factory().fileFormat().storedNames(parameterName).stream()
                .map(name -> module.tensors().get(name))
                .filter(tensor -> tensor != null)
                .findFirst();
    }

    /**
     * What does not fit PEFT's format or this adapter's configuration, one sentence each.
     *
     * @return the problems; empty for a consistent adapter
     */
    public List<String> problems() {
        return problems;
    }

    /** Closes the weights file. */
    @Override
    public void close() {
        weights.close();
    }

    private static void classify(
            String name, Map<String, Map<String, String>> byModule, Map<String, String> saved, List<String> problems) {
        if (!name.startsWith(TENSOR_PREFIX)) {
            problems.add("tensor '" + name + "' is not under '" + TENSOR_PREFIX + "', where PEFT saves every tensor");
            return;
        }
        String rest = name.substring(TENSOR_PREFIX.length());
        int split = rest.indexOf("." + ADAPTER_SEGMENT);
        if (split < 0) {
            saved.put(rest, name);
            return;
        }
        byModule.computeIfAbsent(rest.substring(0, split), key -> new LinkedHashMap<>())
                .put(rest.substring(split + 1), name);
    }
}

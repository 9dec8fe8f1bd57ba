package dev.peft4j.core.io;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.PeftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face PEFT adapter directory opened for reading: {@code adapter_config.json} parsed,
 * {@code adapter_model.safetensors} open, and its tensors grouped by adapted module.
 *
 * <p>Tensor names follow PEFT: {@code base_model.model.<module path>.lora_A.weight}, {@code
 * .lora_B.weight} and, for DoRA, {@code .lora_magnitude_vector} (also accepted: {@code
 * .lora_magnitude_vector.weight}, the name of PEFT's in-memory parameter); any other tensor
 * under {@code base_model.model.} belongs to a module stored whole ({@code modules_to_save}),
 * except that other {@code lora_*} tensors of a third-party method (one recorded as {@value
 * PeftAdapterConfig#PEFT4J_METHOD}, for example a learned scale) are the method's own: its adapter
 * reads them by name.
 * Files that do not fit the configuration (a missing A or B, a rank that differs from the
 * config's) still open; {@link #problems()} lists what is wrong, for {@code peft4j inspect} to
 * show.
 */
public final class AdapterDirectory implements AutoCloseable {

    /** The weights file in an adapter directory. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /** PEFT's legacy weights file, a Python pickle. */
    public static final String PICKLE_FILE = "adapter_model.bin";

    /** The prefix of every tensor name PEFT saves. */
    public static final String TENSOR_PREFIX = "base_model.model.";

    /** The tensors of an adapted module, by name suffix; the slot is 0 for A, 1 for B, 2 for the magnitude. */
    private enum Part {
        LORA_A(".lora_A.weight", 0),
        LORA_B(".lora_B.weight", 1),
        MAGNITUDE(".lora_magnitude_vector", 2),
        MAGNITUDE_WEIGHT(".lora_magnitude_vector.weight", 2);

        private final String suffix;
        private final int slot;

        Part(String suffix, int slot) {
            this.suffix = suffix;
            this.slot = slot;
        }
    }

    private final Path path;
    private final PeftAdapterConfig config;
    private final SafetensorsFile weights;
    private final Map<String, AdapterModule> modules;
    private final Map<String, String> savedTensors;
    private final List<String> problems;

    private AdapterDirectory(Path path, PeftAdapterConfig config, SafetensorsFile weights) {
        this.path = path;
        this.config = config;
        this.weights = weights;
        List<String> found = new ArrayList<>();
        Map<String, String[]> byModule = new LinkedHashMap<>();
        Map<String, String> saved = new LinkedHashMap<>();
        boolean thirdPartyMethod = config.otherKeys().containsKey(PeftAdapterConfig.PEFT4J_METHOD);
        for (String name : weights.tensors().keySet()) {
            classify(name, thirdPartyMethod, byModule, saved, found);
        }
        Map<String, AdapterModule> grouped = new LinkedHashMap<>();
        byModule.forEach((module, names) ->
                grouped.put(module, new AdapterModule(module, names[0], names[1], names[2])));
        if (grouped.isEmpty()) {
            found.add("no LoRA tensors: expected names like " + TENSOR_PREFIX + "<module>" + Part.LORA_A.suffix);
        }
        grouped.values().forEach(module -> check(module, found));
        this.modules = Collections.unmodifiableMap(grouped);
        this.savedTensors = Collections.unmodifiableMap(saved);
        this.problems = List.copyOf(found);
    }

    /**
     * Opens an adapter directory.
     *
     * @param directory the directory
     * @return the open adapter; close it when done
     * @throws PeftException when the directory or one of its two files is missing (with
     *     conversion advice when only the pickle {@code adapter_model.bin} is there), or a file is
     *     malformed
     */
    public static AdapterDirectory open(Path directory) {
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
        SafetensorsFile weights = SafetensorsFile.open(weightsFile);
        try {
            return new AdapterDirectory(directory, config, weights);
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
     * The open {@code adapter_model.safetensors}, to read tensors from; closed with this directory.
     *
     * @return the weights file
     */
    public SafetensorsFile weights() {
        return weights;
    }

    /**
     * The adapted modules, by module path, in file order.
     *
     * @return the modules
     */
    public Map<String, AdapterModule> modules() {
        return modules;
    }

    /**
     * The tensors of modules stored whole ({@code modules_to_save}), in file order.
     *
     * @return parameter path in the base model (e.g. {@code classifier.weight}) → tensor name
     */
    public Map<String, String> savedTensors() {
        return savedTensors;
    }

    /**
     * The tensor that holds one PEFT parameter of an adapted module, accepting both of PEFT's
     * spellings of DoRA's magnitude.
     *
     * @param module the module
     * @param parameterName the parameter's PEFT name relative to the module, for example {@code lora_A.weight}
     * @return the tensor's name, or empty when the file lacks it
     */
    public Optional<String> tensor(AdapterModule module, String parameterName) {
        String name = TENSOR_PREFIX + module.path() + "." + parameterName;
        if (weights.tensors().containsKey(name)) {
            return Optional.of(name);
        }
        boolean magnitude = Part.MAGNITUDE.suffix.equals("." + parameterName);
        return Optional.ofNullable(magnitude ? module.magnitude() : null);
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
            String name,
            boolean thirdPartyMethod,
            Map<String, String[]> byModule,
            Map<String, String> saved,
            List<String> problems) {
        if (!name.startsWith(TENSOR_PREFIX)) {
            problems.add("tensor '" + name + "' is not under '" + TENSOR_PREFIX + "', where PEFT saves every tensor");
            return;
        }
        String rest = name.substring(TENSOR_PREFIX.length());
        Part part = Arrays.stream(Part.values()).filter(p -> rest.endsWith(p.suffix)).findFirst().orElse(null);
        if (part == null) {
            if (Arrays.stream(rest.split("\\.")).anyMatch(segment -> segment.startsWith("lora_"))) {
                if (thirdPartyMethod) {
                    return;
                }
                problems.add("tensor '" + name + "' looks like a LoRA tensor peft4j does not read; expected "
                        + "<module>" + Part.LORA_A.suffix + ", <module>" + Part.LORA_B.suffix
                        + " or <module>" + Part.MAGNITUDE.suffix);
            } else {
                saved.put(rest, name);
            }
            return;
        }
        String module = rest.substring(0, rest.length() - part.suffix.length());
        String[] names = byModule.computeIfAbsent(module, key -> new String[3]);
        if (names[part.slot] != null) {
            problems.add("module '" + module + "' has two magnitude vectors: '" + names[part.slot] + "' and '" + name
                    + "'");
        }
        names[part.slot] = name;
    }

    private void check(AdapterModule module, List<String> problems) {
        String where = "module '" + module.path() + "': ";
        boolean mora = config.useMora();
        if (module.loraA() == null) {
            problems.add(where + "lora_A.weight is missing");
        }
        if (module.loraB() == null && !mora) {
            problems.add(where + "lora_B.weight is missing");
        }
        if (config.useDora() != (module.magnitude() != null)) {
            problems.add(where + (config.useDora()
                    ? "use_dora is true but lora_magnitude_vector is missing"
                    : "has lora_magnitude_vector but use_dora is false"));
        }
        Shape a = module.loraA() == null ? null : weights.tensor(module.loraA()).shape();
        Shape b = module.loraB() == null ? null : weights.tensor(module.loraB()).shape();
        if (a == null
                || !isMatrix(a, "lora_A.weight", where, problems)
                || !isMatrix(b, "lora_B.weight", where, problems)) {
            return;
        }
        if (mora) {
            if (a.get(0) != a.get(1)) {
                problems.add(where + "MoRA's lora_A.weight (M) must be square, has shape " + a);
            }
            if (b != null && !b.equals(a)) {
                problems.add(where + "MoRA's lora_B.weight must repeat lora_A.weight's shape " + a + ", has " + b);
            }
            return;
        }
        int rank = config.rankFor(module.path());
        if (a.get(0) != rank) {
            problems.add(where + "lora_A.weight has shape " + a + " but the config gives r = " + rank
                    + " for this module (rank_pattern applied)");
        }
        if (b != null && b.get(1) != a.get(0)) {
            problems.add(where + "lora_B.weight has shape " + b + "; its columns must equal lora_A.weight's "
                    + a.get(0) + " rows");
        }
        if (b != null && module.magnitude() != null) {
            Shape magnitude = weights.tensor(module.magnitude()).shape();
            if (!magnitude.equals(new Shape(b.get(0)))) {
                problems.add(where + "lora_magnitude_vector has shape " + magnitude + ", expected (" + b.get(0)
                        + ") to match lora_B.weight's rows");
            }
        }
    }

    private static boolean isMatrix(Shape shape, String tensor, String where, List<String> problems) {
        if (shape != null && shape.dimension() != 2) {
            problems.add(where + tensor + " has shape " + shape + "; expected a matrix");
            return false;
        }
        return true;
    }
}

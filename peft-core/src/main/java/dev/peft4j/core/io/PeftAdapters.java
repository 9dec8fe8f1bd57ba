package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterFileFormat;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.WeightInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Saves a {@link PeftModel}'s adapter as a Hugging Face PEFT directory and loads one into a model.
 *
 * <p>Tensor names follow PEFT, {@code base_model.model.<module path>.<parameter>}; which
 * tensors a module stores, under which names, and which keys the configuration gets are the
 * adapter method's ({@link AdapterFileFormat}). Module paths are the model's (see {@link
 * ModuleTree}) unless a {@link PathMap} rewrites them. peft4j's method options are kept under
 * {@value PeftAdapterConfig#PEFT4J_OPTIONS}, which PEFT ignores, and a method whose own keys do
 * not identify it is recorded as {@value PeftAdapterConfig#PEFT4J_METHOD}. Values are stored in
 * the parameters' data type, so save then load is bit-identical.
 */
public final class PeftAdapters {

    private static final Pattern REGEX_SPECIALS = Pattern.compile("[\\\\.\\[\\]{}()*+?^$|]");

    private PeftAdapters() {}

    /**
     * Writes an adapter as a PEFT directory ({@code adapter_config.json} and {@code
     * adapter_model.safetensors}, each written atomically).
     *
     * @param model the model
     * @param adapterName the adapter to save
     * @param directory the directory, created if absent
     * @param modelToPeft rewrites the model's module paths into the PEFT model's
     * @param baseModel the {@code base_model_name_or_path} to record, or {@code null}
     */
    public static void save(
            PeftModel model, String adapterName, Path directory, PathMap modelToPeft, String baseModel) {
        save(model, adapterName, directory, modelToPeft, new BaseModel(baseModel, null, false));
    }

    /**
     * What an adapter file records about the model it was trained on.
     *
     * @param nameOrPath {@code base_model_name_or_path}, or {@code null}
     * @param taskType {@code task_type}, for example {@code CAUSAL_LM}, or {@code null}
     * @param fanInFanOut whether the model's checkpoint stores the adapted weights (in, out), as
     *     GPT-2's Conv1D layers do ({@code fan_in_fan_out}), so that PEFT and {@link StreamingMerge}
     *     transpose the update when merging; the tensors are the same either way: A (r, in), B (out, r)
     */
    public record BaseModel(String nameOrPath, String taskType, boolean fanInFanOut) {}

    /**
     * Writes an adapter as a PEFT directory, recording what is known of the base model.
     *
     * @param model the model
     * @param adapterName the adapter to save
     * @param directory the directory, created if absent
     * @param modelToPeft rewrites the model's module paths into the PEFT model's
     * @param baseModel the base model's name, task type and weight layout
     */
    public static void save(
            PeftModel model, String adapterName, Path directory, PathMap modelToPeft, BaseModel baseModel) {
        AdapterConfig config = model.adapterConfig(adapterName);
        Map<String, Adapter> adapters = new LinkedHashMap<>();
        for (AdaptedLayer layer : model.layers().values()) {
            Adapter adapter = layer.adapters().get(adapterName);
            if (adapter != null) {
                adapters.put(modelToPeft.apply(layer.path()), adapter);
            }
        }
        Map<String, String> options = adapters.values().iterator().next().currentOptions();
        AdapterFileFormat format = model.plugins().adapter(config.method()).fileFormat();
        PeftAdapterConfig.Builder file = PeftAdapterConfig.builder()
                .setR(config.rank())
                .setTargetModules(List.copyOf(adapters.keySet()))
                .optLoraAlpha(config.alpha())
                .optLoraDropout(config.dropout())
                .optUseRslora(config.useRsLora())
                .optInitLoraWeights(config.init() == WeightInit.GAUSSIAN ? "gaussian" : "true")
                .optBaseModelNameOrPath(baseModel.nameOrPath())
                .optTaskType(baseModel.taskType())
                .optFanInFanOut(baseModel.fanInFanOut());
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        adapters.forEach((path, adapter) -> {
            if (adapter.config().rank() != config.rank()) {
                rankPattern.put(escape(path), adapter.config().rank());
            }
            if (adapter.config().alpha() != config.alpha()) {
                alphaPattern.put(escape(path), (double) adapter.config().alpha());
            }
        });
        file.optRankPattern(rankPattern).optAlphaPattern(alphaPattern);
        Map<String, JsonElement> otherKeys = new LinkedHashMap<>();
        format.configKeys(options).forEach((key, value) -> otherKeys.put(key, JsonValues.toJson(value)));
        if (!options.isEmpty()) {
            JsonObject saved = new JsonObject();
            options.forEach(saved::addProperty);
            otherKeys.put(PeftAdapterConfig.PEFT4J_OPTIONS, saved);
        }
        PeftAdapterConfig written = file.optOtherKeys(otherKeys).build();
        Optional<String> claimant = AdapterFileMethod.claimant(
                        AdapterFileMethod.keys(written, directory.toString()), model.plugins())
                .map(AdapterFactory::name);
        if (!claimant.equals(Optional.of(config.method()))) {
            otherKeys.put(PeftAdapterConfig.PEFT4J_METHOD, new JsonPrimitive(config.method()));
            written = file.optOtherKeys(otherKeys).build();
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        adapters.forEach((path, adapter) -> format.tensors(adapter)
                .forEach((name, array) -> tensors.put(AdapterDirectory.TENSOR_PREFIX + path + "." + name, array)));
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new PeftException("Cannot create adapter directory " + directory + ": " + e.getMessage(), e);
        }
        SafetensorsWriter.save(directory.resolve(AdapterDirectory.WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        PeftConfigFile.write(written, directory.resolve(PeftConfigFile.FILE_NAME));
    }

    /**
     * Adds an adapter read from a PEFT directory to a model: one adapter of the file's method on
     * each module the file holds, with the file's values; other tensors ({@code modules_to_save},
     * biases) replace the model's parameters of the same path.
     *
     * @param model the model
     * @param adapterName the name to give the adapter
     * @param directory the PEFT directory
     * @param peftToModel rewrites the PEFT model's module paths into this model's
     * @throws PeftException when the adapter is inconsistent ({@link AdapterDirectory#problems()}),
     *     holds NaN or Inf ({@link AdapterDirectory#nonFiniteTensors()}), a module or parameter is missing from the model, or a shape differs
     */
    public static void load(PeftModel model, String adapterName, Path directory, PathMap peftToModel) {
        try (AdapterDirectory files = AdapterDirectory.open(directory, model.plugins())) {
            List<String> problems = new ArrayList<>(files.problems());
            problems.addAll(files.nonFiniteTensors());
            if (!problems.isEmpty()) {
                throw new PeftException("Adapter " + directory + " is inconsistent, so it is not loaded: "
                        + String.join("; ", problems));
            }
            AdapterConfig.Builder config = files.method().config().toBuilder();
            Map<String, String> modulePaths = new LinkedHashMap<>();
            for (String peftPath : files.modules().keySet()) {
                String path = peftToModel.apply(peftPath);
                modulePaths.put(path, peftPath);
                AdapterConfig module = files.moduleConfig(peftPath);
                config.optRankPattern(Pattern.quote(path), module.rank())
                        .optAlphaPattern(Pattern.quote(path), module.alpha());
            }
            requireLayers(model, files, modulePaths, directory);
            String exactly = modulePaths.keySet().stream().map(Pattern::quote).collect(Collectors.joining("|"));
            model.addAdapter(adapterName, config.build(), TargetModules.regex(exactly));
            Set<String> consumed = new HashSet<>();
            for (Map.Entry<String, String> module : modulePaths.entrySet()) {
                Adapter adapter = model.layers().get(module.getKey()).adapters().get(adapterName);
                AdapterModule stored = files.modules().get(module.getValue());
                for (Map.Entry<String, Parameter> parameter :
                        adapter.peftParameters().entrySet()) {
                    String tensor = files.tensor(stored, parameter.getKey())
                            .orElseThrow(() -> new PeftException(files.weights().path() + " has no tensor for "
                                    + parameter.getKey() + " of module " + stored.path()));
                    copy(files.weights(), tensor, parameter.getValue());
                    consumed.add(tensor);
                }
                adapter.invalidateCaches();
            }
            for (Map.Entry<String, String> saved : files.savedTensors().entrySet()) {
                if (!consumed.contains(saved.getValue())) {
                    String path = peftToModel.apply(saved.getKey());
                    copy(files.weights(), saved.getValue(), ModuleTree.parameter(model.block(), path));
                }
            }
        }
    }

    /**
     * Replaces the values of a loaded adapter with those of a PEFT directory, in place: the model
     * is not re-wrapped and the base weights are not read again (hot-swap). Everything is checked
     * before any value changes: the file's method, modules, ranks, scalings and method options must
     * be the adapter's, and every tensor's shape its parameter's.
     *
     * @param model the model
     * @param adapterName the loaded adapter to overwrite
     * @param directory the PEFT directory with the new values
     * @param peftToModel rewrites the PEFT model's module paths into this model's
     * @throws PeftException naming the unknown adapter, the differing method, module, rank,
     *     scaling, option or shape, or when the file is inconsistent or holds NaN or Inf
     */
    public static void hotSwap(PeftModel model, String adapterName, Path directory, PathMap peftToModel) {
        AdapterConfig loaded = model.adapterConfig(adapterName);
        try (AdapterDirectory files = AdapterDirectory.open(directory, model.plugins())) {
            List<String> problems = new ArrayList<>(files.problems());
            problems.addAll(files.nonFiniteTensors());
            if (!problems.isEmpty()) {
                throw new PeftException("Adapter " + directory + " is inconsistent, so it is not swapped in: "
                        + String.join("; ", problems));
            }
            String method = files.method().factory().name();
            if (!method.equals(loaded.method())) {
                throw new PeftException("Adapter '" + adapterName + "' is " + loaded.method() + ", but " + directory
                        + " holds a " + method + " adapter: hot-swap replaces values only; load it under another name");
            }
            Map<String, Adapter> adapters = new LinkedHashMap<>();
            model.layers().forEach((path, layer) -> {
                if (layer.adapters().containsKey(adapterName)) {
                    adapters.put(path, layer.adapters().get(adapterName));
                }
            });
            Map<String, String> modulePaths = new LinkedHashMap<>();
            files.modules().keySet().forEach(peftPath -> modulePaths.put(peftToModel.apply(peftPath), peftPath));
            if (!modulePaths.keySet().equals(adapters.keySet())) {
                throw new PeftException("Adapter '" + adapterName + "' is on " + adapters.size() + " modules and "
                        + directory + " adapts " + modulePaths.size() + "; only in the model: "
                        + difference(adapters.keySet(), modulePaths.keySet()) + ", only in the file: "
                        + difference(modulePaths.keySet(), adapters.keySet()));
            }
            Map<Parameter, String> copies = new LinkedHashMap<>();
            adapters.forEach((path, adapter) -> {
                String peftPath = modulePaths.get(path);
                AdapterConfig stored = files.moduleConfig(peftPath);
                if (stored.rank() != adapter.config().rank()
                        || stored.scaling() != adapter.config().scaling()) {
                    throw new PeftException("Module " + path + " of adapter '" + adapterName + "' has r = "
                            + adapter.config().rank() + ", scaling "
                            + adapter.config().scaling() + "; " + directory
                            + " has r = " + stored.rank() + ", scaling " + stored.scaling());
                }
                if (!stored.options().equals(adapter.currentOptions())) {
                    throw new PeftException("Adapter '" + adapterName + "' has the options " + adapter.currentOptions()
                            + "; " + directory + " has " + stored.options());
                }
                AdapterModule module = files.modules().get(peftPath);
                adapter.peftParameters().forEach((name, parameter) -> {
                    String tensor = files.tensor(module, name)
                            .orElseThrow(() -> new PeftException(
                                    files.weights().path() + " has no tensor for " + name + " of module " + peftPath));
                    Shape shape = files.weights().tensor(tensor).shape();
                    if (!shape.equals(parameter.getShape())) {
                        throw new PeftException(
                                "Tensor " + tensor + " in " + files.weights().path() + " has shape " + shape
                                        + ", but adapter '" + adapterName + "' has " + parameter.getShape());
                    }
                    copies.put(parameter, tensor);
                });
            });
            copies.forEach((parameter, tensor) -> copy(files.weights(), tensor, parameter));
            adapters.values().forEach(Adapter::invalidateCaches);
        }
    }

    private static List<String> difference(Set<String> a, Set<String> b) {
        return a.stream().filter(path -> !b.contains(path)).limit(3).toList();
    }

    /**
     * Every adapted module of the file is a layer of the model of the same kind (linear layer or
     * embedding), or one message says which are not.
     */
    private static void requireLayers(
            PeftModel model, AdapterDirectory files, Map<String, String> modulePaths, Path directory) {
        Map<String, Boolean> layers = new LinkedHashMap<>();
        ModuleTree.layers(model.block()).forEach(layer -> layers.put(layer.path(), layer.embedding()));
        List<String> missing = modulePaths.keySet().stream()
                .filter(module -> !layers.containsKey(module))
                .toList();
        if (!missing.isEmpty()) {
            throw new PeftException("The adapter in " + directory + " adapts " + missing.size() + " module"
                    + (missing.size() == 1 ? "" : "s")
                    + " that the model has no linear layer or embedding for, such as "
                    + missing.subList(0, Math.min(3, missing.size())) + "; the model's layers are named like "
                    + layers.keySet().stream().limit(3).toList() + ". Is it an adapter for another model? If only the "
                    + "names differ, map them with a PathMap (peft4j merge: --prefix-map)");
        }
        AdapterFileFormat format = files.method().factory().fileFormat();
        modulePaths.forEach((path, peftPath) -> {
            boolean storedEmbedding =
                    format.isEmbedding(files.stored(files.modules().get(peftPath)));
            if (storedEmbedding != layers.get(path)) {
                throw new PeftException("The adapter in " + directory + " stores " + peftPath + " as "
                        + (storedEmbedding ? "an embedding" : "a linear layer") + ", but the model's " + path + " is "
                        + (storedEmbedding ? "a linear layer" : "an embedding") + ": the adapter is for another model");
            }
        });
    }

    private static void copy(SafetensorsFile weights, String tensor, Parameter parameter) {
        if (!weights.tensors().containsKey(tensor)) {
            throw new PeftException(weights.path() + " has no tensor " + tensor);
        }
        NDArray target = parameter.getArray();
        try (NDManager manager = target.getManager().newSubManager()) {
            NDArray value = weights.read(tensor, manager);
            if (!value.getShape().equals(target.getShape())) {
                throw new PeftException("Tensor " + tensor + " in " + weights.path() + " has shape " + value.getShape()
                        + ", but the model's parameter has shape " + target.getShape());
            }
            InPlace.copy(value.toType(target.getDataType(), false), target);
        }
    }

    /** A module path as a regular expression that matches it literally, in Python's syntax too. */
    static String escape(String path) {
        return REGEX_SPECIALS.matcher(path).replaceAll("\\\\$0");
    }
}

package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What merging an adapter directory into a base safetensors file does to each base tensor, worked
 * out and checked from the two headers before anything is read or written: every adapted module
 * finds its base weight, every saved tensor the base tensor it replaces, and every shape and dtype
 * fits. The expected shapes of a module's tensors are those of the parameters of the adapter its
 * method's factory creates for the base weight's d and k (so MoRA's r̂ is the adapter's own); the
 * adapters are created here, uninitialised, and merged later.
 */
final class MergePlan {

    /**
     * One adapted module and the base weight it merges into.
     *
     * @param baseTensor the base weight's name
     * @param modulePath the module's path in the adapter
     * @param adapter an uninitialised adapter for the weight's shape
     * @param tensors the adapter file's tensor for each of the adapter's PEFT parameters
     * @param fanInFanOut whether the base weight is stored (in, out)
     * @param computeType the type the merge computes in: float64 when the base weight or any of the
     *     module's adapter tensors is F64, float32 otherwise (F16 and BF16 are widened)
     * @param biasTensor the base bias the adapter's bias term merges into ({@code P.bias}), or
     *     {@code null} when the method has none
     */
    record ModuleMerge(
            String baseTensor,
            String modulePath,
            Adapter adapter,
            Map<String, String> tensors,
            boolean fanInFanOut,
            DataType computeType,
            String biasTensor) {

        /**
         * The module's adapter, initialised in {@code scope} in the compute type and filled with the
         * adapter file's values; a module loaded again (for its weight and its bias) is re-initialised.
         *
         * @param scope owns the adapter's arrays
         * @param read reads one adapter tensor by name, into {@code scope}
         * @return the adapter
         */
        Adapter loaded(NDManager scope, Function<String, NDArray> read) {
            adapter.peftParameters().values().forEach(Parameter::close);
            adapter.freezeParameters(true);
            adapter.initialize(scope, computeType, new Shape(1, adapter.target().inFeatures()));
            for (Map.Entry<String, Parameter> parameter :
                    adapter.peftParameters().entrySet()) {
                NDArray value = read.apply(tensors.get(parameter.getKey()));
                InPlace.copy(
                        value.toType(computeType, false), parameter.getValue().getArray());
            }
            return adapter;
        }
    }

    private final Map<String, ModuleMerge> merges;
    private final Map<String, ModuleMerge> biasMerges;
    private final Map<String, String> replacements;

    private MergePlan(
            Map<String, ModuleMerge> merges, Map<String, ModuleMerge> biasMerges, Map<String, String> replacements) {
        this.merges = Collections.unmodifiableMap(merges);
        this.biasMerges = Collections.unmodifiableMap(biasMerges);
        this.replacements = Collections.unmodifiableMap(replacements);
    }

    /**
     * Works out and checks a merge.
     *
     * @param base the base weights
     * @param adapter the adapter
     * @param pathMap rewrites the adapter's module paths into the base's names
     * @param plugins creates each module's adapter
     * @param inThisFile which base tensor names this file is responsible for (for one shard of a
     *     sharded checkpoint: those the index puts in it); modules and saved tensors whose base
     *     tensor it is not responsible for are left to another shard
     * @return the plan
     * @throws PeftException naming the module and the tensor when the adapter is inconsistent, a
     *     base tensor is missing, or a dtype or shape does not fit
     */
    static MergePlan of(
            SafetensorsFile base,
            AdapterDirectory adapter,
            PathMap pathMap,
            Plugins plugins,
            Predicate<String> inThisFile) {
        if (!adapter.problems().isEmpty()) {
            throw new PeftException("Adapter " + adapter.path() + " is inconsistent, so it is not merged: "
                    + String.join("; ", adapter.problems()));
        }
        Map<String, ModuleMerge> merges = new LinkedHashMap<>();
        Map<String, ModuleMerge> biasMerges = new LinkedHashMap<>();
        for (AdapterModule module : adapter.modules().values()) {
            if (!inThisFile.test(pathMap.apply(module.path()) + ".weight")) {
                continue;
            }
            ModuleMerge merge = plan(module, base, adapter, pathMap, plugins);
            ModuleMerge other = merges.put(merge.baseTensor(), merge);
            if (other != null) {
                throw new PeftException("Adapted modules '" + other.modulePath() + "' and '" + module.path()
                        + "' both map to base tensor '" + merge.baseTensor() + "'");
            }
            if (merge.biasTensor() != null) {
                biasMerges.put(merge.biasTensor(), merge);
            }
        }
        Map<String, String> replacements = new LinkedHashMap<>();
        adapter.savedTensors().forEach((parameterPath, tensor) -> {
            String target = pathMap.apply(parameterPath);
            if (!inThisFile.test(target)) {
                return;
            }
            TensorSpec replaced = baseTensor(base, target, "the saved tensor '" + tensor + "', which replaces it");
            TensorSpec saved = adapter.weights().floatingTensor(tensor);
            if (!saved.shape().equals(replaced.shape())) {
                throw new PeftException(
                        "Adapter tensor '" + tensor + "' has shape " + saved.shape() + " but base tensor '" + target
                                + "' has " + replaced.shape() + "; a saved tensor replaces its base tensor whole");
            }
            ModuleMerge merged = merges.containsKey(target) ? merges.get(target) : biasMerges.get(target);
            if (merged != null) {
                throw new PeftException("Base tensor '" + target + "' would be merged with module '"
                        + merged.modulePath() + "' and replaced by the saved tensor '" + tensor + "'");
            }
            replacements.put(target, tensor);
        });
        return new MergePlan(merges, biasMerges, replacements);
    }

    /**
     * The merges, by base tensor.
     *
     * @return the adapted modules' merges
     */
    Map<String, ModuleMerge> merges() {
        return merges;
    }

    /**
     * The merges whose adapter also updates a base bias, by that bias tensor.
     *
     * @return base bias name → the module's merge
     */
    Map<String, ModuleMerge> biasMerges() {
        return biasMerges;
    }

    /**
     * The base tensors the adapter's saved tensors replace.
     *
     * @return base tensor name → adapter tensor name
     */
    Map<String, String> replacements() {
        return replacements;
    }

    /**
     * Every adapter tensor the merge reads.
     *
     * @return the tensor names
     */
    List<String> adapterTensors() {
        List<String> names = new ArrayList<>();
        merges.values().forEach(merge -> names.addAll(merge.tensors().values()));
        names.addAll(replacements.values());
        return names;
    }

    private static ModuleMerge plan(
            AdapterModule module, SafetensorsFile base, AdapterDirectory adapter, PathMap pathMap, Plugins plugins) {
        String path = module.path();
        String target = pathMap.apply(path) + ".weight";
        TensorSpec weight = baseTensor(base, target, "the weight of adapted module '" + path + "'");
        boolean embedding = adapter.method().factory().fileFormat().isEmbedding(adapter.stored(module));
        // an embedding table (V, D) is the linear map Eᵀ stored (in, out); fan_in_fan_out applies to linear layers
        boolean fanInFanOut = embedding || adapter.config().fanInFanOut();
        Shape shape = weight.shape();
        if (shape.dimension() != 2) {
            throw new PeftException("Base tensor '" + target + "' has shape " + shape + ", but the adapted module '"
                    + path + "' needs a matrix: (out, in), or (in, out) with fan_in_fan_out"
                    + (embedding ? "; an embedding table is (num_embeddings, embedding_dim)" : ""));
        }
        int d = Math.toIntExact(shape.get(fanInFanOut ? 1 : 0));
        int k = Math.toIntExact(shape.get(fanInFanOut ? 0 : 1));
        AdapterConfig config = adapter.moduleConfig(path);
        boolean wide = weight.dtype() == SafetensorsDtype.F64
                || module.tensors().values().stream()
                        .anyMatch(tensor ->
                                adapter.weights().floatingTensor(tensor).dtype() == SafetensorsDtype.F64);
        DataType computeType = wide ? DataType.FLOAT64 : DataType.FLOAT32;
        Adapter created =
                plugins.adapter(config.method()).create(config, AdapterTarget.of(path, k, d, computeType), plugins);
        Map<String, String> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> parameter : created.peftParameters().entrySet()) {
            String name = parameter.getKey();
            String tensor = adapter.tensor(module, name)
                    .orElseThrow(() -> new PeftException("Adapter tensor '"
                            + AdapterDirectory.TENSOR_PREFIX + path + "." + name + "' is missing: " + created
                            + " needs it to merge module '" + path + "'"));
            Shape found = adapter.weights().floatingTensor(tensor).shape();
            Shape expected = parameter.getValue().getShape();
            if (!found.equals(expected)) {
                throw new PeftException("Adapter tensor '" + tensor + "' has shape " + found + ", but base tensor '"
                        + target + "' of shape " + shape
                        + (fanInFanOut ? ", stored (in, out) as fan_in_fan_out says," : "")
                        + " gives d = " + d + " and k = " + k + ", for which " + created + " needs " + expected);
            }
            tensors.put(name, tensor);
        }
        String bias = null;
        if (created.peftParameters().values().stream().anyMatch(p -> p.getType() == Parameter.Type.BIAS)) {
            bias = pathMap.apply(path) + ".bias";
            TensorSpec biasSpec = baseTensor(base, bias, "the bias term of adapted module '" + path + "' (lora_bias)");
            if (!biasSpec.shape().equals(new Shape(d))) {
                throw new PeftException("Base tensor '" + bias + "' has shape " + biasSpec.shape() + ", but module '"
                        + path + "' has d = " + d + " outputs");
            }
        }
        return new ModuleMerge(target, path, created, tensors, fanInFanOut, computeType, bias);
    }

    private static TensorSpec baseTensor(SafetensorsFile base, String name, String forWhat) {
        TensorSpec spec = base.tensors().get(name);
        if (spec == null) {
            String adapterFile = base.path().getFileName().toString().startsWith("adapter_model")
                    ? " (it is an adapter file; --base takes the base model)"
                    : "";
            throw new PeftException(
                    base.path() + " has no tensor '" + name + "' for " + forWhat + adapterFile + similar(name, base));
        }
        return base.floatingTensor(name);
    }

    /** A hint naming a base tensor whose name differs from the wanted one by a prefix, and the rule that maps it. */
    private static String similar(String wanted, SafetensorsFile base) {
        Set<String> names = base.tensors().keySet();
        for (String name : names) {
            if (name.endsWith("." + wanted)) {
                String prefix = name.substring(0, name.length() - wanted.length() - 1);
                return "; the base has '" + name + "': map the names with the prefix rule '=" + prefix + "'";
            }
            if (wanted.endsWith("." + name)) {
                String prefix = wanted.substring(0, wanted.length() - name.length() - 1);
                return "; the base has '" + name + "': map the names with the prefix rule '" + prefix + "='";
            }
        }
        return "";
    }
}

package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.StoredWeights;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.spi.TensorChecks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Merges a Hugging Face PEFT adapter directory into base weights stored as Hugging Face stores a
 * model ({@code model.safetensors}), tensor by tensor, writing a new safetensors file.
 *
 * <ul>
 *   <li>An adapted module P (tensor names {@code base_model.model.P.lora_A.weight} …), after the
 *       path map, merges into base tensor {@code P.weight}: the method's factory creates its
 *       adapter for that weight's shape, the file's values fill the adapter's parameters, and
 *       {@link StoredWeights#merge} computes W0 + ΔW, transposed for weights stored (in, out)
 *       when the adapter's {@code fan_in_fan_out} says so. Every method and MoRA operator merges
 *       through this one path.
 *   <li>Saved tensors ({@code modules_to_save}, biases) replace the base tensors of the same path.
 *   <li>Every other tensor is copied as bytes. The output keeps the base's layout (tensor order,
 *       dtypes, shapes) and metadata.
 * </ul>
 *
 * <p>Weights are merged in float32 and stored back in their own dtype (F16 and BF16 too; F64
 * weights lose the precision float32 lacks). Everything that can be checked is checked before the
 * output is started: the adapter's consistency, every base tensor's presence, dtype and shape, and
 * the adapter's values (NaN or Inf is refused). A merged weight with NaN or Inf (or beyond F16's
 * range) stops the merge. The output is written atomically: after any failure it does not exist
 * (or is unchanged) and no temporary file is left.
 *
 * <p>Memory: one tensor is in memory at a time. Each weight is merged in its own sub-manager,
 * closed before the next; tensors are read through reused buffers and copied by the operating
 * system, so the peak is a few times the largest merged weight, whatever the model's size.
 */
public final class StreamingMerge {

    /**
     * How to merge.
     *
     * @param pathMap rewrites the adapter's module paths into the base's tensor names
     * @param plugins the registry whose factories create each module's adapter
     */
    public record Options(PathMap pathMap, Plugins plugins) {

        /**
         * Validates the fields.
         *
         * @param pathMap rewrites the adapter's module paths into the base's tensor names
         * @param plugins the registry whose factories create each module's adapter
         */
        public Options {
            Objects.requireNonNull(pathMap, "pathMap");
            Objects.requireNonNull(plugins, "plugins");
        }

        /**
         * No path rewriting and the default registry.
         *
         * @return the options
         */
        public static Options defaults() {
            return new Options(PathMap.identity(), Plugins.defaults());
        }
    }

    /**
     * What a merge wrote.
     *
     * @param merged base weights an adapted module was merged into
     * @param replaced base tensors the adapter's saved tensors replaced
     * @param copied base tensors copied unchanged
     */
    public record Summary(int merged, int replaced, int copied) {}

    private final MergePlan plan;
    private final SafetensorsFile base;
    private final SafetensorsFile weights;
    private final NDManager manager;
    private final TensorStaging staging = new TensorStaging();

    private StreamingMerge(MergePlan plan, SafetensorsFile base, SafetensorsFile weights, NDManager manager) {
        this.plan = plan;
        this.base = base;
        this.weights = weights;
        this.manager = manager;
        staging.reserve(base, plan.merges().keySet());
        staging.reserve(weights, plan.adapterTensors());
    }

    /**
     * Merges an adapter into base weights and writes the result.
     *
     * @param base the base weights, a safetensors file
     * @param adapterDirectory the PEFT adapter directory
     * @param output the safetensors file to write; replaced if present, never the base itself
     * @param manager the engine and device to compute on; each tensor gets a sub-manager
     * @param options the path map and the registry
     * @return what was written
     * @throws PeftException naming the tensor and what was expected when anything does not fit;
     *     the output is then not written
     */
    public static Summary merge(Path base, Path adapterDirectory, Path output, NDManager manager, Options options) {
        return merge(base, adapterDirectory, output, manager, options, name -> true);
    }

    /**
     * Merges the part of an adapter whose base tensors one file is responsible for (one shard).
     *
     * @param base the base weights, a safetensors file
     * @param adapterDirectory the PEFT adapter directory
     * @param output the safetensors file to write
     * @param manager the engine and device to compute on
     * @param options the path map and the registry
     * @param inThisFile the base tensor names this file is responsible for
     * @return what was written
     */
    static Summary merge(
            Path base,
            Path adapterDirectory,
            Path output,
            NDManager manager,
            Options options,
            Predicate<String> inThisFile) {
        requireOtherFile(base, output);
        try (AdapterDirectory adapter = AdapterDirectory.open(adapterDirectory, options.plugins());
                SafetensorsFile baseFile = SafetensorsFile.open(base)) {
            MergePlan plan = MergePlan.of(baseFile, adapter, options.pathMap(), options.plugins(), inThisFile);
            StreamingMerge merge = new StreamingMerge(plan, baseFile, adapter.weights(), manager);
            merge.checkAdapterValues();
            return merge.write(output);
        }
    }

    private void checkAdapterValues() {
        for (String tensor : plan.adapterTensors()) {
            try (NDManager scope = manager.newSubManager()) {
                requireFinite(
                        staging.read(weights, tensor, scope), "Adapter tensor '" + tensor + "' of " + weights.path());
            }
        }
    }

    private Summary write(Path output) {
        List<TensorSpec> specs = List.copyOf(base.tensors().values());
        try (SafetensorsWriter writer =
                SafetensorsWriter.createInOrder(output, specs, base.hasMetadata() ? base.metadata() : null)) {
            for (TensorSpec spec : specs) {
                MergePlan.ModuleMerge merge = plan.merges().get(spec.name());
                MergePlan.ModuleMerge biasMerge = plan.biasMerges().get(spec.name());
                String replacement = plan.replacements().get(spec.name());
                if (merge == null && biasMerge == null && replacement == null) {
                    writer.copy(base, spec.name());
                    continue;
                }
                try (NDManager scope = manager.newSubManager()) {
                    if (biasMerge != null) {
                        writeChecked(
                                writer,
                                spec,
                                mergeBias(biasMerge, scope),
                                "The merged bias of module '" + biasMerge.modulePath() + "' (base tensor '"
                                        + spec.name() + "')");
                    } else if (merge != null) {
                        writeChecked(
                                writer,
                                spec,
                                merge(merge, scope),
                                "The merged weight of module '" + merge.modulePath() + "' (base tensor '" + spec.name()
                                        + "')");
                    } else {
                        writeChecked(
                                writer,
                                spec,
                                staging.read(weights, replacement, scope),
                                "The saved tensor '" + replacement + "' (for base tensor '" + spec.name() + "')");
                    }
                }
            }
            writer.commit();
        }
        int merged = plan.merges().size();
        int replaced = plan.replacements().size();
        return new Summary(
                merged, replaced, specs.size() - merged - plan.biasMerges().size() - replaced);
    }

    /** W0 + ΔW in the merge's compute type (the wider of the base's and the adapter's), in the stored layout, owned by {@code scope}. */
    private NDArray merge(MergePlan.ModuleMerge merge, NDManager scope) {
        NDArray weight = staging.read(base, merge.baseTensor(), scope).toType(merge.computeType(), false);
        return StoredWeights.merge(loaded(merge, scope), weight, merge.fanInFanOut());
    }

    /** b + Δb of a module whose method has a bias term, in the merge's compute type, owned by {@code scope}. */
    private NDArray mergeBias(MergePlan.ModuleMerge merge, NDManager scope) {
        NDArray bias = staging.read(base, merge.biasTensor(), scope).toType(merge.computeType(), false);
        return bias.add(loaded(merge, scope).deltaBias().orElseThrow());
    }

    /** The module's adapter, initialised in {@code scope} and filled with the file's values. */
    private Adapter loaded(MergePlan.ModuleMerge merge, NDManager scope) {
        return merge.loaded(scope, tensor -> staging.read(weights, tensor, scope));
    }

    /** Writes values in the declared dtype, after checking that they and their cast are finite. */
    private static void writeChecked(SafetensorsWriter writer, TensorSpec spec, NDArray values, String what) {
        requireFinite(values, what);
        DataType type = spec.dtype().dataType();
        if (spec.dtype() == SafetensorsDtype.BF16 || values.getDataType() == type) {
            writer.write(spec.name(), values);
            return;
        }
        NDArray stored = values.toType(type, false);
        requireFinite(stored, what + " cast to " + spec.dtype() + " (beyond its range)");
        writer.write(spec.name(), stored);
    }

    private static void requireFinite(NDArray values, String what) {
        OptionalLong bad = TensorChecks.firstNonFinite(values);
        if (bad.isPresent()) {
            throw new PeftException(what + " has NaN or Inf at " + position(bad.getAsLong(), values.getShape())
                    + "; nothing was written");
        }
    }

    private static String position(long flatIndex, Shape shape) {
        if (shape.dimension() != 2) {
            return "flat index " + flatIndex;
        }
        return "[" + flatIndex / shape.get(1) + ", " + flatIndex % shape.get(1) + "]";
    }

    private static void requireOtherFile(Path base, Path output) {
        try {
            if (Files.exists(output) && Files.isSameFile(base, output)) {
                throw new PeftException("The output " + output + " is the base file " + base
                        + "; write the merged weights to another file");
            }
        } catch (IOException e) {
            throw new PeftException("Cannot compare " + output + " with " + base + ": " + e, e);
        }
    }
}

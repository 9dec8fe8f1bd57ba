package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;

/**
 * Every adapted module's update ΔW (d, k) computed by its method from the adapter file and the
 * base weights ({@link Adapter#deltaWeight}), as the streaming merge computes it: the way to look at
 * or combine adapters of any method, whose ΔW may depend on W0 (DoRA) or on shapes the file does not
 * record (MoRA).
 */
final class DeltaWeights {

    /**
     * One module's update and base weight, in the linear map's (d, k) layout, in double.
     *
     * @param delta ΔW
     * @param baseWeight W0
     */
    record Delta(DMatrixRMaj delta, DMatrixRMaj baseWeight) {}

    private DeltaWeights() {}

    /**
     * The base weights' safetensors file.
     *
     * @param base a safetensors file, or a model directory with {@code model.safetensors}
     * @return the file
     * @throws PeftException when there is none (a sharded checkpoint is refused)
     */
    static Path baseFile(Path base) {
        Path file = Files.isDirectory(base) ? base.resolve(ModelMerge.WEIGHTS_FILE) : base;
        if (!Files.isRegularFile(file)) {
            throw new PeftException(base + " has no " + ModelMerge.WEIGHTS_FILE
                    + "; expected a safetensors file or a model directory with one (a sharded checkpoint is not"
                    + " read here)");
        }
        return file;
    }

    /**
     * ΔW and W0 of every adapted module.
     *
     * @param file the adapter
     * @param base the base weights ({@link #baseFile})
     * @param plugins creates each module's adapter
     * @param manager computes ΔW; the arrays are released before this returns
     * @return module path → update, in the file's order
     * @throws PeftException when a module's base weight is missing or does not fit
     */
    static Map<String, Delta> of(AdapterDirectory file, Path base, Plugins plugins, NDManager manager) {
        Map<String, Delta> deltas = new LinkedHashMap<>();
        try (SafetensorsFile weights = SafetensorsFile.open(baseFile(base))) {
            MergePlan plan = MergePlan.of(weights, file, PathMap.identity(), plugins, name -> true);
            for (MergePlan.ModuleMerge merge : plan.merges().values()) {
                try (NDManager module = manager.newSubManager()) {
                    Adapter adapter =
                            merge.loaded(module, tensor -> file.weights().read(tensor, module));
                    NDArray stored = weights.read(merge.baseTensor(), module).toType(merge.computeType(), false);
                    NDArray w0 = merge.fanInFanOut() ? stored.transpose() : stored;
                    NDArray delta = adapter.deltaWeight(w0);
                    deltas.put(
                            merge.modulePath(),
                            new Delta(
                                    LowRankSvd.matrix(delta.toType(DataType.FLOAT32, false)),
                                    LowRankSvd.matrix(w0.toType(DataType.FLOAT32, false))));
                }
            }
        }
        return deltas;
    }
}

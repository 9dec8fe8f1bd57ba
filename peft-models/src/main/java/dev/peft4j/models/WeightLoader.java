package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Puts a checkpoint's tensors into a model's parameters, one tensor at a time, after checking
 * every name and shape from the file headers.
 *
 * <p>Names are matched as transformers matches them: the state-dict name, or the name without the
 * base model's prefix ({@code model.}, {@code transformer.}), as checkpoints of the bare model
 * store them. Buffers that transformers recomputes ({@code rotary_emb.inv_freq}, GPT-2's {@code
 * attn.bias} and {@code attn.masked_bias}) and a stored copy of a tied {@code lm_head.weight} are
 * skipped. GPT-2's Conv1D weights, stored (in, out), are transposed to (out, in).
 */
final class WeightLoader {

    private static final Pattern IGNORED =
            Pattern.compile(".*(rotary_emb\\.inv_freq|\\.attn\\.bias|\\.attn\\.masked_bias)");
    private static final Pattern CONV1D =
            Pattern.compile("transformer\\.h\\.\\d+\\.(attn\\.c_attn|attn\\.c_proj|mlp\\.c_fc|mlp\\.c_proj)\\.weight");

    private WeightLoader() {}

    /**
     * Loads every parameter of a model.
     *
     * @param model the model, its parameters without values
     * @param checkpoint the weights
     * @param manager owns the parameter arrays
     * @throws PeftException listing every missing tensor, unexpected tensor and wrong shape at once,
     *     before any value is read
     */
    static void load(CausalLmBlock model, Checkpoint checkpoint, NDManager manager) {
        ModelConfig config = model.config();
        Map<String, Shape> expected = ParameterShapes.of(config);
        Map<String, Parameter> parameters = ModuleTree.baseParameters(model);
        if (!parameters.keySet().equals(expected.keySet())) {
            throw new IllegalStateException("peft4j's " + config.modelType()
                    + " layout disagrees with its shape table: " + parameters.keySet() + " vs " + expected.keySet());
        }
        String prefix = config.architecture() == Architecture.GPT2 ? "transformer." : "model.";
        Map<String, String> sources = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> wrongShapes = new ArrayList<>();
        for (Map.Entry<String, TensorSpec> tensor : checkpoint.tensors().entrySet()) {
            String name = tensor.getKey();
            String target =
                    expected.containsKey(name) ? name : expected.containsKey(prefix + name) ? prefix + name : null;
            if (target == null) {
                boolean tiedCopy = config.tieWordEmbeddings() && name.equals("lm_head.weight");
                if (!tiedCopy && !IGNORED.matcher(name).matches()) {
                    unexpected.add(name);
                }
                continue;
            }
            Shape stored = tensor.getValue().shape();
            Shape shape =
                    isConv1d(target) && stored.dimension() == 2 ? new Shape(stored.get(1), stored.get(0)) : stored;
            if (!shape.equals(expected.get(target))) {
                wrongShapes.add(name + " has shape " + stored + ", expected "
                        + (isConv1d(target)
                                ? new Shape(
                                                expected.get(target).get(1),
                                                expected.get(target).get(0)) + " (in, out)"
                                : expected.get(target)));
            }
            sources.put(target, name);
        }
        Set<String> missing = new LinkedHashSet<>(expected.keySet());
        missing.removeAll(sources.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShapes.isEmpty()) {
            throw new PeftException("The checkpoint " + checkpoint.files() + " does not fit the " + config.modelType()
                    + " model its config.json describes:"
                    + (missing.isEmpty() ? "" : "\n  missing tensors: " + missing)
                    + (unexpected.isEmpty() ? "" : "\n  unexpected tensors: " + unexpected)
                    + (wrongShapes.isEmpty() ? "" : "\n  wrong shapes: " + String.join("; ", wrongShapes)));
        }
        sources.forEach((target, name) -> parameters.get(target).setArray(read(checkpoint, name, target, manager)));
    }

    private static boolean isConv1d(String target) {
        return CONV1D.matcher(target).matches();
    }

    private static NDArray read(Checkpoint checkpoint, String name, String target, NDManager manager) {
        NDArray array;
        if (isConv1d(target)) {
            Shape stored = checkpoint.tensors().get(name).shape();
            array = manager.create(
                    transpose(checkpoint.readFloats(name), stored), new Shape(stored.get(1), stored.get(0)));
        } else {
            array = checkpoint.readFloat32(name, manager);
        }
        if (!allFinite(array)) {
            throw new PeftException("Tensor " + name + " of " + checkpoint.files() + " holds NaN or Inf");
        }
        return array;
    }

    private static float[] transpose(float[] values, Shape shape) {
        int rows = Math.toIntExact(shape.get(0));
        int columns = Math.toIntExact(shape.get(1));
        float[] transposed = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                transposed[c * rows + r] = values[r * columns + c];
            }
        }
        return transposed;
    }

    private static boolean allFinite(NDArray array) {
        try (NDArray sum = array.sum()) {
            return Float.isFinite(sum.toFloatArray()[0]) || finiteElementwise(array);
        }
    }

    private static boolean finiteElementwise(NDArray array) {
        for (float value : array.toFloatArray()) {
            if (!Float.isFinite(value)) {
                return false;
            }
        }
        return true;
    }
}

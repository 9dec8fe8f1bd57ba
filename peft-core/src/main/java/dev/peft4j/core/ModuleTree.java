package dev.peft4j.core;

import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.PeftException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Names the blocks of a DJL tree the way PyTorch names modules, and finds the layers adapters can
 * go on: linear layers (DJL's {@link Linear}) and embeddings (DJL's {@link Embedding} and every
 * {@link LookupTable}).
 *
 * <p>A child of a {@link SequentialBlock} or {@link ParallelBlock} is named by its 0-based
 * position, like {@code nn.Sequential}; any other child by the name its parent gave it, without the
 * {@code 01}, {@code 02}, … counter DJL puts in front. So a block built with {@code
 * addChildBlock("q_proj", …)} inside a block named {@code attn} has the path {@code attn.q_proj}.
 */
public final class ModuleTree {

    /**
     * A layer found in the tree.
     *
     * @param path its dotted module path ({@code ""} for the root)
     * @param block the layer, or the {@link AdaptedLayer} wrapping it
     * @param parent the block that holds it, or {@code null} for the root
     * @param childIndex its position among the parent's children, or -1 for the root
     * @param embedding whether it is an embedding rather than a linear layer
     */
    public record Layer(String path, Block block, Block parent, int childIndex, boolean embedding) {

        /**
         * The layer's weight: W (d, k) of a linear layer, the table (V, D) of an embedding.
         *
         * @return the parameter
         */
        public Parameter weight() {
            if (block instanceof AdaptedLayer adapted) {
                return adapted.weight();
            }
            if (block instanceof LookupTable table) {
                return table.table();
            }
            return block.getParameters().get(block instanceof Embedding<?> ? "embedding" : "weight");
        }

        /**
         * What an adapter for this layer is created for: W's features for a linear layer, V and D
         * for an embedding, and the weight's data type (float32 while it has no value yet).
         *
         * @return the target
         */
        public AdapterTarget target() {
            Parameter weight = weight();
            int rows = Math.toIntExact(weight.getShape().get(0));
            int columns = Math.toIntExact(weight.getShape().get(1));
            DataType dataType = weight.isInitialized() ? weight.getArray().getDataType() : DataType.FLOAT32;
            return embedding
                    ? AdapterTarget.embedding(path, rows, columns, dataType)
                    : AdapterTarget.of(path, columns, rows, dataType);
        }
    }

    private ModuleTree() {}

    /**
     * Every linear layer and embedding of a tree, in depth-first (forward) order. An {@link
     * AdaptedLayer} counts as the layer it wraps.
     *
     * @param root the tree
     * @return the layers
     */
    public static List<Layer> layers(Block root) {
        List<Layer> layers = new ArrayList<>();
        collect(root, "", null, -1, layers);
        return layers;
    }

    /**
     * Every linear layer of a tree, in depth-first (forward) order. An {@link AdaptedLinear} counts
     * as the layer it wraps.
     *
     * @param root the tree
     * @return the layers
     */
    public static List<Layer> linearLayers(Block root) {
        return layers(root).stream().filter(layer -> !layer.embedding()).toList();
    }

    private static void collect(Block block, String path, Block parent, int index, List<Layer> out) {
        if (block instanceof Linear || block instanceof AdaptedLinear) {
            out.add(new Layer(path, block, parent, index, false));
            return;
        }
        if (block instanceof LookupTable || block instanceof Embedding<?>) {
            out.add(new Layer(path, block, parent, index, true));
            return;
        }
        BlockList children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            String segment = segment(block, i, children.keyAt(i));
            collect(children.valueAt(i), path.isEmpty() ? segment : path + "." + segment, block, i, out);
        }
    }

    /**
     * Every parameter of the model without its adapters, by its dotted path as PyTorch's {@code
     * state_dict} names it ({@code model.layers.0.self_attn.q_proj.weight}), in depth-first order.
     * The parameters of an {@link AdaptedLayer} are those of the layer it wraps.
     *
     * @param root the tree
     * @return the parameters by path
     */
    public static Map<String, Parameter> baseParameters(Block root) {
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        collectParameters(root, "", parameters);
        return parameters;
    }

    private static void collectParameters(Block block, String path, Map<String, Parameter> out) {
        Block owner = block instanceof AdaptedLayer adapted ? adapted.base() : block;
        String prefix = path.isEmpty() ? "" : path + ".";
        for (Parameter parameter : owner.getDirectParameters().values()) {
            out.put(prefix + parameter.getName(), parameter);
        }
        BlockList children = owner.getChildren();
        for (int i = 0; i < children.size(); i++) {
            collectParameters(children.valueAt(i), prefix + segment(owner, i, children.keyAt(i)), out);
        }
    }

    /**
     * A parameter by its dotted path, as PyTorch's {@code state_dict} names it: the module path,
     * then the parameter's name, for example {@code classifier.weight}. The parameters of an
     * {@link AdaptedLayer} are those of the layer it wraps.
     *
     * @param root the tree
     * @param path the parameter's path
     * @return the parameter
     * @throws PeftException naming the missing module or parameter
     */
    public static Parameter parameter(Block root, String path) {
        int dot = path.lastIndexOf('.');
        Block block = root;
        if (dot > 0) {
            for (String segment : path.substring(0, dot).split("\\.")) {
                block = child(block, segment, path);
            }
        }
        if (block instanceof AdaptedLayer adapted) {
            block = adapted.base();
        }
        Parameter parameter = block.getDirectParameters().get(path.substring(dot + 1));
        if (parameter == null) {
            throw new PeftException("The model has no parameter " + path + ": its module has "
                    + block.getDirectParameters().keys());
        }
        return parameter;
    }

    private static Block child(Block parent, String segment, String path) {
        BlockList children = parent.getChildren();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
            String name = segment(parent, i, children.keyAt(i));
            if (name.equals(segment)) {
                return children.valueAt(i);
            }
            names.add(name);
        }
        throw new PeftException(
                "The model has no module '" + segment + "' on the way to " + path + "; there: " + names);
    }

    /**
     * The path segment of a child.
     *
     * @param parent the parent block
     * @param index the child's position
     * @param key the child's key in DJL, with its counter prefix
     * @return the segment
     */
    static String segment(Block parent, int index, String key) {
        if (parent instanceof SequentialBlock || parent instanceof ParallelBlock) {
            return Integer.toString(index);
        }
        String counter = String.format(Locale.ROOT, "%02d", index + 1);
        return key.startsWith(counter) && key.length() > counter.length() ? key.substring(counter.length()) : key;
    }
}

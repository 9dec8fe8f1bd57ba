package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * The decoder layers in order, named {@code 0}, {@code 1}, … as in a PyTorch {@code ModuleList}.
 *
 * <p>Outside training each layer runs in its own {@link NDScope}: what it creates besides its output
 * (projections, attention scores, MLP activations) is freed when it returns, and so is the previous
 * layer's output, as PyTorch frees temporaries by reference count. The memory a forward holds is then
 * one layer's worth rather than every layer's, and later layers reuse memory the engine already has
 * instead of touching fresh pages. A training forward keeps everything for the backward pass.
 */
final class LayerStack extends Module {

    LayerStack(List<Module> layers) {
        for (int i = 0; i < layers.size(); i++) {
            addChildBlock(Integer.toString(i), layers.get(i));
        }
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray h = hidden;
        for (int i = 0; i < children.size(); i++) {
            if (context.training()) {
                h = module(i).forward(store, h, context);
                continue;
            }
            NDArray previous = h;
            try (NDScope scope = new NDScope()) {
                h = module(i).forward(store, h, context);
                NDScope.unregister(h);
            }
            if (previous != hidden) {
                previous.close();
            }
        }
        return h;
    }
}

package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import java.util.List;

/** The decoder layers in order, named {@code 0}, {@code 1}, … as in a PyTorch {@code ModuleList}. */
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
            h = module(i).forward(store, h, context);
        }
        return h;
    }
}

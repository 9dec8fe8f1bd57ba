package dev.peft4j.train;

import ai.djl.nn.Parameter;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.PeftModel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** An adapter's trainable parameters by their PEFT tensor name ({@code <module path>.lora_A.weight}). */
final class TrainableParameters {

    private TrainableParameters() {}

    /**
     * The parameters of one adapter.
     *
     * @param peft the model
     * @param adapterName the adapter
     * @return the parameters by name, in the model's order
     */
    static Map<String, Parameter> of(PeftModel peft, String adapterName) {
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        for (AdaptedLayer layer : peft.layers().values()) {
            var adapter = layer.adapters().get(adapterName);
            if (adapter != null) {
                adapter.peftParameters()
                        .forEach((name, parameter) -> parameters.put(layer.path() + "." + name, parameter));
            }
        }
        return Collections.unmodifiableMap(parameters);
    }
}

package dev.peft4j.testkit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.peft4j.spi.AbstractAdapter;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.Plugins;
import java.util.Map;

/**
 * A test-only adapter method, {@code full-delta}: a full (d, k) update D starting at zero (stored as
 * {@code lora_A.weight}), the simplest adapter there is, with restarts. It is not registered: a test
 * module that wants it lists {@code dev.peft4j.testkit.FullDeltaFactory} in its {@code
 * src/test/resources/META-INF/services/dev.peft4j.spi.AdapterFactory}.
 */
public final class FullDeltaFactory implements AdapterFactory {

    /** The method's registry name. */
    public static final String NAME = "full-delta";
    /** The update's tensor name: PEFT's {@code lora_A.weight}, so that PEFT directories recognise the module. */
    static final String DELTA_NAME = "lora_A.weight";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins) {
        return new FullDelta(config, target);
    }

    private static final class FullDelta extends AbstractAdapter {
        private final Parameter delta;

        FullDelta(AdapterConfig config, AdapterTarget target) {
            super(config, target);
            this.delta = addParameter(Parameter.builder()
                    .setName("lora_A")
                    .setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(target().outFeatures(), target().inFeatures()))
                    .optInitializer(Initializer.ZEROS)
                    .build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.get(INPUT);
            return Linear.linear(x, store.getValue(delta, x.getDevice(), training));
        }

        @Override
        public NDArray deltaWeight(NDArray baseWeight) {
            return delta.getArray().duplicate();
        }

        @Override
        public void restart() {
            NDArray d = delta.getArray();
            InPlace.zero(d);
        }

        @Override
        public Map<String, Parameter> peftParameters() {
            return Map.of(DELTA_NAME, delta);
        }
    }
}

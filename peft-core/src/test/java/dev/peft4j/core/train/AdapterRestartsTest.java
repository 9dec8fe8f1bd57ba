package dev.peft4j.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

class AdapterRestartsTest {

    @ParameterizedTest
    @EngineSource
    void everyNStepsTheUpdateMovesIntoTheBaseAndTheStateIsCleared(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 1, 4, 5, 3));
            peft.addAdapter(
                    "default", AdapterConfig.builder("full-delta").setRank(1).build(), TargetModules.names("0"));
            AdaptedLayer layer = peft.layers().get("0");
            Parameter delta = layer.adapters().get("default").peftParameters().get("lora_A.weight");
            double[][] w0 = Dense.fromArray(layer.weight().getArray());
            RestartableAdamW optimizer = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(0.1f))
                    .build();
            TestModels.randomize(delta, new Random(2), 1);
            optimizer.update(delta.getId(), delta.getArray(), delta.getArray().onesLike());
            double[][] trained = Dense.fromArray(delta.getArray());
            NDArray x = Dense.toArray(manager, Dense.random(new Random(3), 2, 4));
            double[][] before = Dense.fromArray(TestModels.predict(peft.block(), x));

            AdapterRestarts restarts = new AdapterRestarts(peft, "default", 2, optimizer);
            assertFalse(restarts.afterStep(1));
            assertEquals(1, optimizer.steps(delta.getId()));
            assertTrue(restarts.afterStep(2));
            assertEquals(1, restarts.restarts());
            assertEquals(0, optimizer.steps(delta.getId()), "optimizer state cleared");
            Dense.assertClose(new double[5][4], Dense.fromArray(delta.getArray()), 0, "the update restarts at zero");
            Dense.assertClose(
                    Dense.add(w0, 1, trained), Dense.fromArray(layer.weight().getArray()), 1e-6, "W0 + ΔW");
            Dense.assertClose(before, Dense.fromArray(TestModels.predict(peft.block(), x)), 1e-5, "same output");

            peft.merge();
            assertThrows(PeftException.class, () -> restarts.afterStep(4), "a merged layer cannot restart");
        }
    }
}

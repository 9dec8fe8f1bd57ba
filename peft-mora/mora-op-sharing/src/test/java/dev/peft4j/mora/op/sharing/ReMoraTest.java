package dev.peft4j.mora.op.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.AdaptedLinear;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.train.AdapterRestarts;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.mora.MoraAdapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/** ReMoRA (MoRA paper §5.3) through peft-core's restart schedule. */
class ReMoraTest {

    @ParameterizedTest
    @EngineSource
    void eachRestartMergesResetsClearsAndMovesTheType(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            Linear linear = Linear.builder().setUnits(12).build();
            linear.initialize(manager, DataType.FLOAT32, new Shape(1, 10));
            TestModels.randomize(linear, new Random(1), 1);
            double[][] w0 = Dense.fromArray(linear.getParameters().get("weight").getArray());
            PeftModel peft = PeftModel.wrap(linear)
                    .addAdapter(
                            "remora", AdapterConfig.builder("mora").setRank(2).build(), TargetModules.regex(".*"));
            AdaptedLinear layer = (AdaptedLinear) peft.block();
            MoraAdapter mora = (MoraAdapter) layer.adapters().get("remora");
            Parameter m = mora.peftParameters().get(MoraAdapter.M_NAME);
            RestartableAdamW optimizer = RestartableAdamW.builder()
                    .optLearningRateTracker(Tracker.fixed(0.1f))
                    .build();
            AdapterRestarts restarts = new AdapterRestarts(peft, "remora", 1, optimizer);
            NDArray x = Dense.toArray(manager, Dense.random(new Random(2), 3, 10));

            double[][] sum = w0;
            List<String> operators = new ArrayList<>();
            Random random = new Random(3);
            for (int cycle = 1; cycle <= 5; cycle++) {
                operators.add(mora.operator().name());
                TestModels.randomize(m, random, 1);
                optimizer.update(m.getId(), m.getArray(), m.getArray().onesLike());
                double[][] delta = Dense.fromArray(mora.deltaWeight(null));
                sum = Dense.add(sum, 1, delta);
                double[][] before = Dense.fromArray(TestModels.predict(peft.block(), x));
                assertTrue(restarts.afterStep(cycle));
                assertEquals(0, optimizer.steps(m.getId()), "M's optimizer state is cleared");
                Dense.assertClose(
                        new double[mora.reducedRank()][mora.reducedRank()],
                        Dense.fromArray(m.getArray()),
                        0,
                        "M reset");
                Dense.assertClose(
                        sum, Dense.fromArray(layer.weight().getArray()), 1e-4, "W = W0 + Σ ΔW after cycle " + cycle);
                Dense.assertClose(
                        before, Dense.fromArray(TestModels.predict(peft.block(), x)), 1e-4, "the output is kept");
            }
            assertEquals(
                    List.of(
                            "sharing",
                            "sharing-contiguous",
                            "sharing-contiguous-tile",
                            "sharing-cyclic-interleave",
                            "sharing"),
                    operators);
            assertEquals(Map.of("operator", "sharing-contiguous", "mora_type", "2"), mora.currentOptions());
        }
    }
}

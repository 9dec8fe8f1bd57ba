package dev.peft4j.mora.op.sharing;

import dev.peft4j.mora.MoraFactory;
import dev.peft4j.mora.MoraOptions;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.testkit.MoraReference;
import dev.peft4j.testkit.adapter.AdapterConformanceTest;
import org.junit.jupiter.api.Nested;

/** The shared conformance test for each of the four sharing operators (r = 2: r̂ = 5 on both layers of the 6 → 7 → 5 MLP). */
class SharingConformanceTest {

    private static final int RANK = 2;

    private abstract static class Sharing extends AdapterConformanceTest {
        private final String operator;

        Sharing(String operator) {
            this.operator = operator;
        }

        @Override
        protected AdapterConfig config() {
            return AdapterConfig.builder(MoraFactory.NAME)
                    .setRank(RANK)
                    .optOption(MoraOptions.OPERATOR, operator)
                    .build();
        }

        @Override
        protected long expectedTrainableParameters(int outFeatures, int inFeatures) {
            long rHat = MoraReference.officialRank(outFeatures, inFeatures, RANK);
            return rHat * rHat;
        }
    }

    @Nested
    class Type1 extends Sharing {
        Type1() {
            super(SharingOperator.NAME);
        }
    }

    @Nested
    class Type2 extends Sharing {
        Type2() {
            super(ContiguousSharingOperator.NAME);
        }
    }

    @Nested
    class Type3 extends Sharing {
        Type3() {
            super(ContiguousTileSharingOperator.NAME);
        }
    }

    @Nested
    class Type4 extends Sharing {
        Type4() {
            super(CyclicInterleaveSharingOperator.NAME);
        }
    }
}

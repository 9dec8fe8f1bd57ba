package dev.peft4j.testkit;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/** Makes use of freed Java buffers visible, for tests of what the engine keeps for the backward pass. */
public final class FreedMemory {

    private FreedMemory() {}

    /**
     * Collects garbage and fills fresh direct buffers with NaN, so that a constant the engine wrapped
     * over a Java buffer and kept for the backward pass reads NaN if that buffer was freed.
     */
    public static void overwrite() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 64; i++) {
                FloatBuffer buffer = ByteBuffer.allocateDirect(4 * 16).asFloatBuffer();
                while (buffer.hasRemaining()) {
                    buffer.put(Float.NaN);
                }
            }
        }
    }
}

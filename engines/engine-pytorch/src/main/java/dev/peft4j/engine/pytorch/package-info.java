/** The PyTorch engine binding. */
package dev.peft4j.engine.pytorch;

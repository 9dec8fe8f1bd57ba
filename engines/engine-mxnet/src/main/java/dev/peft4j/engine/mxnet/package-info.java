/** The MXNet engine binding. */
package dev.peft4j.engine.mxnet;

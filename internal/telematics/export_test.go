package telematics

// MergeBatches lets tests merge the inbox in small steps.
var MergeBatches = &mergeBatches

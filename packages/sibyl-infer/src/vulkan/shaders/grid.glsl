// One invocation per element for the element-wise kernels. The host spreads the workgroups over
// x and y so that no dimension passes the device's workgroup-count limit; invocations past the
// end (the last workgroup is partial) return early.

#define ELEMENTWISE_WORKGROUP_SIZE 64

layout(local_size_x = ELEMENTWISE_WORKGROUP_SIZE, local_size_y = 1, local_size_z = 1) in;

uint element_index() {
    uint workgroup = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    return workgroup * ELEMENTWISE_WORKGROUP_SIZE + gl_LocalInvocationID.x;
}

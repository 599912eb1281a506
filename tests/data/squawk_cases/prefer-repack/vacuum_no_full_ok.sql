VACUUM foo;

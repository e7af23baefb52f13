"""Linear layer + loss + backward: TinyPlaces, one image, N=256, vocabulary head."""


def test_linear_loss(run_case, linear_case):
    run_case(*linear_case)

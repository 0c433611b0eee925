namespace Hotswap.Tests.Live;

public sealed class LiveDataTests
{
    [Fact]
    public void Create_Primitives_RoundTrip()
    {
        Assert.Equal(42, LiveData.Create(42).To<int>());
        Assert.Equal("System.Int32", LiveData.Create(42).TypeName);
        Assert.Equal("hello", LiveData.Create("hello").To<string>());
        Assert.Equal(2.5, LiveData.Create(2.5).To<double>());
        Assert.Null(LiveData.Create<string?>(null).To<string>());
        Assert.Equal("null", LiveData.Create<string?>(null).TypeName);
    }

    [Fact]
    public void To_AnotherShapeOfTheSameData_ToleratesAddedAndRemovedMembers()
    {
        LiveData data = LiveData.Create(new JobV1 { Id = 7, Legacy = "old" });

        JobV2 job = data.To<JobV2>()!;

        Assert.Equal(7, job.Id);
        Assert.Equal("default", job.Added);
        Assert.Equal("Hotswap.Tests.Live.LiveDataTests+JobV1", data.TypeName);
        Assert.Equal(7, ((JobV2)data.To(typeof(JobV2))!).Id);
    }

    [Fact]
    public void FromJson_PartsOfAnotherLiveData_RebuildsIt()
    {
        LiveData original = LiveData.Create(new JobV1 { Id = 3 });

        LiveData copy = LiveData.FromJson(original.TypeName, original.Utf8Json.Span);

        Assert.Equal(3, copy.To<JobV1>()!.Id);
        Assert.Equal(original.ToString(), copy.ToString());
    }

    public sealed class JobV1
    {
        public int Id { get; set; }

        public string Legacy { get; set; } = "";
    }

    public sealed class JobV2
    {
        public int Id { get; set; }

        public string Added { get; set; } = "default";
    }
}
